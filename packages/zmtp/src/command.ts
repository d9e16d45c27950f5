/**
 * ZMTP command bodies (RFC 23/37): a one-byte name length, the name, then the
 * command's data. Commands travel in frames whose flags have the COMMAND bit.
 * The metadata (property list) format is shared by READY, INITIATE (CURVE)
 * and the mechanisms' own READY, so it lives here once.
 */
import { ZmtpError } from './errors.js';

const ascii = new TextEncoder();
const latin1 = new TextDecoder('latin1');

/** A command split into its name and data (a view into the frame body). */
export interface Command {
  /** The command name, e.g. `READY`, `PING`, `SUBSCRIBE`. */
  readonly name: string;
  /** What follows the name (a view; copy to keep it). */
  readonly data: Uint8Array;
}

/** Builds a command body: name length, name, data. */
export function encodeCommand(name: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (name.length === 0 || name.length > 255) throw new RangeError(`bad command name ${name}`);
  const out = new Uint8Array(1 + name.length + data.length);
  out[0] = name.length;
  ascii.encodeInto(name, out.subarray(1));
  out.set(data, 1 + name.length);
  return out;
}

/** Splits a command body; a truncated name is a `PROTOCOL` error. */
export function decodeCommand(body: Uint8Array): Command {
  const n = body[0];
  if (n === undefined || n === 0 || body.length < 1 + n) {
    throw new ZmtpError('PROTOCOL', 'malformed command frame');
  }
  return { name: latin1.decode(body.subarray(1, 1 + n)), data: body.subarray(1 + n) };
}

/** Encodes a property list: per entry a 1-byte name length, name, 4-byte BE value length, value. */
export function encodeProperties(props: ReadonlyMap<string, Uint8Array>): Uint8Array {
  let size = 0;
  for (const [k, v] of props) {
    if (k.length === 0 || k.length > 255) throw new RangeError(`bad property name ${k}`);
    size += 1 + k.length + 4 + v.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [k, v] of props) {
    out[at++] = k.length;
    ascii.encodeInto(k, out.subarray(at));
    at += k.length;
    view.setUint32(at, v.length);
    at += 4;
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/**
 * Decodes a property list. Names are case-insensitive in ZMTP, so they are
 * returned lower-cased (`socket-type`, `identity`). Values are copies.
 */
export function decodeProperties(data: Uint8Array): Map<string, Uint8Array> {
  const props = new Map<string, Uint8Array>();
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at < data.length) {
    const n = data[at++]!;
    if (n === 0 || at + n + 4 > data.length) throw new ZmtpError('PROTOCOL', 'malformed metadata');
    const name = latin1.decode(data.subarray(at, at + n)).toLowerCase();
    at += n;
    const len = view.getUint32(at);
    at += 4;
    if (at + len > data.length) throw new ZmtpError('PROTOCOL', 'malformed metadata value');
    props.set(name, data.slice(at, at + len));
    at += len;
  }
  return props;
}

/** The body of an ERROR command (RFC 37) with `reason` (cut to 255 bytes). */
export function encodeErrorCommand(reason: string): Uint8Array {
  const r = ascii.encode(reason).subarray(0, 255);
  const data = new Uint8Array(1 + r.length);
  data[0] = r.length;
  data.set(r, 1);
  return encodeCommand('ERROR', data);
}

/** The reason carried by an ERROR command's `data` (decoded as latin1). */
export function errorCommandReason(data: Uint8Array): string {
  const n = data[0] ?? 0;
  return latin1.decode(data.subarray(1, 1 + n));
}

/**
 * The reason an engine puts in the ERROR command for a failed handshake:
 * `400` for `UNAUTHORIZED` (what libzmq sends when ZAP refuses; libzmq peers
 * then report an authentication failure and stop retrying), else the error's
 * message.
 */
export function handshakeErrorReason(err: ZmtpError): string {
  return err.code === 'UNAUTHORIZED' ? '400' : err.message.slice(0, 255);
}
