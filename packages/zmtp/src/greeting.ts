/**
 * The ZMTP 3.x greeting (RFC 23): the fixed 64 bytes each side sends first —
 * signature, version, mechanism name, as-server bit. The peer's greeting is
 * checked as its bytes arrive, so a non-ZMTP peer is dropped after its first
 * byte rather than after 64.
 */
import { ZmtpError } from './errors.js';

/** Size of a greeting. */
export const GREETING_SIZE = 64;

const latin1 = new TextDecoder('latin1');

/** What the peer's greeting says. */
export interface PeerGreeting {
  /** The peer's ZMTP minor version (1 for any 3.x above 3.1 and for 4.x). */
  readonly minor: number;
  /** The peer's mechanism name (`NULL`, `PLAIN`, `CURVE`...). */
  readonly mechanism: string;
}

/** This side's greeting: ZMTP 3.1, `mechanism`, the as-server bit. */
export function encodeGreeting(mechanism: string, asServer: boolean): Uint8Array {
  const g = new Uint8Array(GREETING_SIZE);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 1;
  for (let i = 0; i < mechanism.length; i++) g[12 + i] = mechanism.charCodeAt(i);
  g[32] = asServer ? 1 : 0;
  return g;
}

/** Collects the peer's greeting across chunks, checking it as bytes arrive. */
export class GreetingReader {
  private readonly buf = new Uint8Array(GREETING_SIZE);
  private have = 0;

  /** True once all 64 bytes are in. */
  get complete(): boolean {
    return this.have === GREETING_SIZE;
  }

  /**
   * Takes what it still needs from `chunk` and returns how many bytes it
   * took. Throws `PROTOCOL` for a bad signature or a ZMTP version below 3.
   */
  push(chunk: Uint8Array): number {
    const buf = this.buf;
    const take = Math.min(GREETING_SIZE - this.have, chunk.length);
    buf.set(chunk.subarray(0, take), this.have);
    this.have += take;
    if (this.have >= 1 && buf[0] !== 0xff)
      throw new ZmtpError('PROTOCOL', 'bad greeting signature');
    if (this.have >= 10 && (buf[9]! & 1) !== 1)
      throw new ZmtpError('PROTOCOL', 'bad greeting signature');
    if (this.have >= 11 && buf[10]! < 3)
      throw new ZmtpError('PROTOCOL', `unsupported ZMTP version ${buf[10]}`);
    return take;
  }

  /** The complete greeting's version and mechanism. */
  read(): PeerGreeting {
    const g = this.buf;
    let end = 12;
    while (end < 32 && g[end] !== 0) end++;
    return { minor: g[10]! > 3 ? 1 : g[11]!, mechanism: latin1.decode(g.subarray(12, end)) };
  }
}
