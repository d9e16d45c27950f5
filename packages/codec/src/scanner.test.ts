import { describe, expect, it } from 'vitest';
import { CodecError } from './errors.js';
import { MsgpackScanner } from './scanner.js';

const objects = new MsgpackScanner({ maxDepth: 64, objectKeys: true });
const maps = new MsgpackScanner({ maxDepth: 64, objectKeys: false });
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

function outcome(scanner: MsgpackScanner, hex: string): string {
  try {
    scanner.scan(bytes(hex));
    return 'ok';
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    return `${error.code}: ${error.message}`;
  }
}

describe('MsgpackScanner', () => {
  it('accepts one complete value of every kind', () => {
    for (const hex of [
      'c0',
      'c2',
      'c3',
      '00',
      '7f',
      'e0',
      'ff',
      'cc01',
      'cd0102',
      'ce01020304',
      'cf0102030405060708',
      'd001',
      'd10102',
      'd201020304',
      'd30102030405060708',
      'ca3fc00000',
      'cb3ff8000000000000',
      'a0',
      'a161',
      'd90161',
      'da000161',
      'db0000000161',
      'c400',
      'c50001ff',
      'c600000001ff',
      '90',
      '9101',
      'dc000101',
      'dd0000000101',
      '80',
      '81a16101',
      'de0001a16101',
      'df00000001a16101',
      'd6ff00000000',
      'd7ff0000000000000000',
      'c70cff000000000000000000000000',
    ]) {
      expect(outcome(objects, hex), hex).toBe('ok');
    }
  });

  it('reports truncation at every point, also where a length byte is missing', () => {
    // A read past the end must not turn a length into NaN and slip through (found by fuzzing).
    for (const hex of [
      'c4',
      'd9',
      '81d9',
      '81a161c4',
      '92c4',
      'da00',
      'db000000',
      'c5',
      'c6',
      'dc00',
      'dd',
      'de',
      'df0000',
      'c7',
      'c801',
      'c9000000',
      'd4',
      'd6ff',
      'cf01',
    ]) {
      expect(outcome(objects, hex), hex).toMatch(/^MALFORMED: truncated/);
    }
  });

  it('says where the input goes wrong', () => {
    expect(outcome(objects, '9301d4010203')).toBe(
      'UNSUPPORTED_EXTENSION: extension type 1 (0x01) at byte 3 is not supported (only the timestamp, type -1)',
    );
    expect(outcome(objects, 'd4fe00')).toMatch(/extension type -2 \(0xfe\) at byte 1/);
    expect(outcome(objects, '92c0c1')).toBe(
      'MALFORMED: byte 0xc1 (never used in MessagePack) at byte 2',
    );
    expect(outcome(objects, '01c0c0')).toBe(
      'MALFORMED: 2 trailing bytes after the value (it ends at byte 1 of 3)',
    );
    expect(outcome(objects, '9301')).toBe(
      'MALFORMED: truncated: the value needs at least 4 bytes, the input has 2',
    );
    expect(outcome(objects, '8190c0')).toMatch(
      /^UNSUPPORTED_TYPE: map key at byte 1 \(type byte 0x90\)/,
    );
  });

  it('counts depth exactly: maxDepth levels pass, one more fails', () => {
    const two = new MsgpackScanner({ maxDepth: 2, objectKeys: true });
    expect(outcome(two, '9191c0')).toBe('ok');
    expect(outcome(two, '9190')).toBe('ok');
    // An empty container is a level too.
    expect(outcome(two, '919190')).toMatch(/^TOO_DEEP: .* at byte 2$/);
    expect(outcome(two, '81a081a090')).toMatch(/^TOO_DEEP: .* at byte 4$/);
    expect(outcome(two, 'dc0001dc000190')).toMatch(/^TOO_DEEP: .* at byte 6$/);
    // Siblings do not add up: depth is nesting, not count.
    expect(outcome(two, '9391c091c091c0')).toBe('ok');
    expect(outcome(two, '93909090')).toBe('ok');
  });

  it('refuses counts the input cannot hold before descending', () => {
    expect(outcome(objects, 'dc0003c0c0')).toMatch(/^MALFORMED: truncated/);
    expect(outcome(objects, 'de0002a0c0')).toMatch(/^MALFORMED: truncated/);
    expect(outcome(objects, '82a0c0')).toMatch(/^MALFORMED: truncated/);
  });

  it('checks map keys only when maps become objects', () => {
    for (const hex of ['819001', '818001', '81c40001', '81dc000001', '81d6ff0000000001']) {
      expect(outcome(objects, hex), hex).toMatch(/^UNSUPPORTED_TYPE: map key/);
      expect(outcome(maps, hex), hex).toBe('ok');
    }
    // Scalar keys of every kind are fine either way.
    for (const hex of [
      '8101c0',
      '81ffc0',
      '81c0c0',
      '81c2c0',
      '81cb3ff8000000000000c0',
      '81d90161c0',
      '81cd0100c0',
    ]) {
      expect(outcome(objects, hex), hex).toBe('ok');
      expect(outcome(maps, hex), hex).toBe('ok');
    }
    // An unsupported extension as a key is reported as the extension.
    expect(outcome(objects, '81d4010001')).toMatch(/^UNSUPPORTED_EXTENSION/);
    expect(outcome(objects, '81c101')).toMatch(/^MALFORMED: byte 0xc1/);
  });

  it('tracks keys and values of nested maps correctly', () => {
    // {a: {b: [1, {c: 2}]}, d: 3} and the same with a bad key deep inside.
    expect(outcome(objects, '82a16181a1629201 81a16302 a16403'.replace(/ /g, ''))).toBe('ok');
    expect(outcome(objects, '82a16181a1629201 819002 a16403'.replace(/ /g, ''))).toMatch(
      /^UNSUPPORTED_TYPE/,
    );
    // In Map mode a container key is followed by its value, then the next key.
    expect(outcome(maps, '82 9101 02 a161 c0'.replace(/ /g, ''))).toBe('ok');
    expect(outcome(maps, '82 9101 02 a161'.replace(/ /g, ''))).toMatch(/^MALFORMED: truncated/);
  });

  it('checks timestamps: lengths, nanoseconds, Date range', () => {
    expect(outcome(objects, 'd7ff ee6b27fc 00000000'.replace(/ /g, ''))).toBe('ok'); // 999999999 ns
    expect(outcome(objects, 'd7ff ee6b2800 00000000'.replace(/ /g, ''))).toMatch(
      /^MALFORMED: .*nanoseconds/,
    );
    expect(outcome(objects, 'c70cff 3b9ac9ff 0000000000000000'.replace(/ /g, ''))).toBe('ok');
    expect(outcome(objects, 'c70cff 3b9aca00 0000000000000000'.replace(/ /g, ''))).toMatch(
      /nanoseconds/,
    );
    // ±8.64e12 s is the Date range: inside passes, one second beyond does not.
    const seconds = (n: bigint): string => BigInt.asUintN(64, n).toString(16).padStart(16, '0');
    expect(outcome(objects, `c70cff00000000${seconds(8_640_000_000_000n)}`)).toBe('ok');
    expect(outcome(objects, `c70cff00000000${seconds(-8_640_000_000_000n)}`)).toBe('ok');
    expect(outcome(objects, `c70cff00000000${seconds(8_640_000_000_001n)}`)).toMatch(
      /^UNSUPPORTED_TYPE: timestamp/,
    );
    expect(outcome(objects, `c70cff00000000${seconds(-8_640_000_000_001n)}`)).toMatch(
      /^UNSUPPORTED_TYPE/,
    );
    expect(outcome(objects, `c70cff00000000${seconds(2n ** 63n - 1n)}`)).toMatch(
      /^UNSUPPORTED_TYPE/,
    );
    for (const hex of [
      'd4ff00',
      'd5ff0000',
      `d8ff${'00'.repeat(16)}`,
      'c700ff',
      'c703ff000000',
      'c80004ff00000000',
    ]) {
      const expected = hex === 'c80004ff00000000' ? 'ok' : 'MALFORMED';
      expect(outcome(objects, hex).split(':')[0], hex).toBe(expected);
    }
  });

  it('reports whether a 64-bit integer lies beyond ±2^53, as value or key', () => {
    const wide = (hex: string): boolean => objects.scan(bytes(hex));
    expect(wide('cf0020000000000000')).toBe(false); // 2^53
    expect(wide('cf001fffffffffffff')).toBe(false);
    expect(wide('cf0020000000000001')).toBe(true); // 2^53 + 1
    expect(wide('cf0100000000000000')).toBe(true);
    expect(wide('cfffffffffffffffff')).toBe(true);
    expect(wide('d3ffe0000000000000')).toBe(false); // -2^53
    expect(wide('d3ffe0000000000001')).toBe(false);
    expect(wide('d3ffdfffffffffffff')).toBe(true); // -2^53 - 1
    expect(wide('d38000000000000000')).toBe(true);
    expect(wide('d30020000000000001')).toBe(true);
    expect(wide('d3ffffffffffffffff')).toBe(false); // -1
    expect(wide('9301cf0020000000000001c0')).toBe(true);
    expect(wide('81cf002000000000000101')).toBe(true);
    expect(wide('81d3ffe000000000000001')).toBe(false);
    expect(maps.scan(bytes('81cf002000000000000101'))).toBe(true);
    expect(wide('93cb4340000000000000ce12345678c0')).toBe(false);
  });

  it('can be reused after an error', () => {
    expect(outcome(objects, '9191919191d401')).toMatch(/^UNSUPPORTED_EXTENSION|^MALFORMED/);
    expect(outcome(objects, '9191c0')).toBe('ok');
  });
});
