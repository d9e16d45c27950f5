/**
 * Z85 (ZeroMQ RFC 32): 4 bytes <-> 5 printable characters. ZeroMQ writes
 * CURVE keys in this form (40 characters for a 32-byte key).
 */

const ALPHABET =
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Encodes bytes as Z85. The length must be a multiple of 4 (RFC 32 has no
 * padding); throws `RangeError` otherwise.
 */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) {
    throw new RangeError(`z85Encode needs a multiple of 4 bytes, got ${bytes.length}`);
  }
  let out = '';
  for (let i = 0; i < bytes.length; i += 4) {
    // Multiply instead of shifting: the top byte would make a shifted value negative.
    let value =
      bytes[i]! * 0x1000000 + ((bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!);
    const chunk = new Array<string>(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[value % 85]!;
      value = Math.floor(value / 85);
    }
    out += chunk.join('');
  }
  return out;
}

/**
 * Decodes Z85 text. The length must be a multiple of 5 and every character in
 * the Z85 alphabet, and no 5-character group may exceed 2^32 - 1; throws
 * `RangeError` otherwise.
 */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) {
    throw new RangeError(`z85Decode needs a multiple of 5 characters, got ${text.length}`);
  }
  const out = new Uint8Array((text.length / 5) * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const code = text.charCodeAt(i + j);
      const digit = code < 128 ? DECODE[code]! : -1;
      if (digit < 0) throw new RangeError(`invalid Z85 character at ${i + j}`);
      value = value * 85 + digit;
    }
    if (value > 0xffff_ffff) throw new RangeError(`Z85 group at ${i} exceeds 32 bits`);
    out[o] = Math.floor(value / 0x1000000) & 0xff;
    out[o + 1] = (value >>> 16) & 0xff;
    out[o + 2] = (value >>> 8) & 0xff;
    out[o + 3] = value & 0xff;
  }
  return out;
}
