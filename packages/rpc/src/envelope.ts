/**
 * The RPC envelopes: every logical message between an xSMB client and server
 * is one MessagePack array `[version, kind, callId, ...fields]`, payload
 * inline, encoded once. Positions are fixed per kind; docs/PROTOCOL.md is the
 * normative description and the test vectors there are checked by
 * envelope.test.ts.
 */

import type { Codec } from '@xsmb/codec';
import type { Metadata } from './metadata.js';

/** The protocol version this implementation speaks (element 0 of every envelope). */
export const PROTOCOL_VERSION = 1;

/**
 * The revision of {@link PROTOCOL_VERSION} this implementation speaks
 * (docs/PROTOCOL.md, "Revisions"). Revisions only append optional trailing
 * fields; 1.1 added the method kind to REQUEST.
 */
export const PROTOCOL_REVISION = '1.1';

/** Envelope kinds (element 1). */
export const Kind = {
  /** Client → server: starts a call. `[1, 1, id, path, timeoutMs, metadata|nil, payload, kind?]` */
  REQUEST: 1,
  /** Server → client: the unary result. `[1, 2, id, trailers|nil, payload]` */
  RESPONSE: 2,
  /** Server → client: the call failed. `[1, 3, id, code, message, details|nil, trailers|nil]` */
  ERROR: 3,
  /** Client → server: the client gave up (abort or deadline). `[1, 4, id]` */
  CANCEL: 4,
  /** Either way: one stream message. `[1, 5, id, payload]` */
  DATA: 5,
  /** Either way: no more stream messages from this side. `[1, 6, id, trailers|nil]` */
  END: 6,
  /** Either way: the receiver may be sent this many more messages and bytes. `[1, 7, id, messages, bytes]` */
  CREDIT: 7,
  /** Server → client: draining, start no new calls here. `[1, 8, 0, message]` */
  GOAWAY: 8,
} as const;

/** An envelope kind number. */
export type Kind = (typeof Kind)[keyof typeof Kind];

/** A decoded envelope: the MessagePack array as is (fields read by position). */
export type Envelope = readonly unknown[];

/** The largest call id; ids wrap around to 1 after it. */
export const MAX_CALL_ID = 0xffff_ffff;

/** Position of the optional method kind in a REQUEST (protocol 1.1). */
export const REQUEST_KIND_INDEX = 7;

/**
 * Encodes a REQUEST envelope. `timeoutMs` 0 means "no deadline". `kind` is
 * the method kind the client calls (`'unary'`, `'server-stream'`, ...; protocol
 * 1.1): the server refuses a mismatch at once instead of letting the call
 * hang. Omitted, the envelope is a 1.0 REQUEST of 7 elements.
 */
export function encodeRequest(
  codec: Codec,
  id: number,
  path: string,
  timeoutMs: number,
  metadata: Metadata | undefined,
  payload: unknown,
  kind?: string,
): Uint8Array {
  const env = [PROTOCOL_VERSION, Kind.REQUEST, id, path, timeoutMs, metadata ?? null, payload];
  if (kind !== undefined) env.push(kind);
  return codec.encode(env);
}

/**
 * The method kind a REQUEST says its client expects, or `undefined` when it
 * carries none (a 1.0 client) or something that is not a string (ignored, as
 * an unknown extension would be).
 */
export function requestKind(env: Envelope): string | undefined {
  const kind = env[REQUEST_KIND_INDEX];
  return typeof kind === 'string' ? kind : undefined;
}

/**
 * The message of the error a server answers a REQUEST whose method kind
 * differs from the registered one (both kinds named, server's first).
 */
export function kindMismatchMessage(path: string, serverKind: string, clientKind: string): string {
  return `method ${path} is ${serverKind} on the server, the client called it as ${clientKind}`;
}

/** Encodes a RESPONSE envelope. */
export function encodeResponse(
  codec: Codec,
  id: number,
  trailers: Metadata | undefined,
  payload: unknown,
): Uint8Array {
  return codec.encode([PROTOCOL_VERSION, Kind.RESPONSE, id, trailers ?? null, payload]);
}

/** Encodes an ERROR envelope. */
export function encodeError(
  codec: Codec,
  id: number,
  code: number,
  message: string,
  details: unknown,
  trailers: Metadata | undefined,
): Uint8Array {
  return codec.encode([
    PROTOCOL_VERSION,
    Kind.ERROR,
    id,
    code,
    message,
    details ?? null,
    trailers ?? null,
  ]);
}

/** Encodes a CANCEL envelope. */
export function encodeCancel(codec: Codec, id: number): Uint8Array {
  return codec.encode([PROTOCOL_VERSION, Kind.CANCEL, id]);
}

/** Encodes a DATA envelope. */
export function encodeData(codec: Codec, id: number, payload: unknown): Uint8Array {
  return codec.encode([PROTOCOL_VERSION, Kind.DATA, id, payload]);
}

/** Encodes an END envelope. */
export function encodeEnd(codec: Codec, id: number, trailers: Metadata | undefined): Uint8Array {
  return codec.encode([PROTOCOL_VERSION, Kind.END, id, trailers ?? null]);
}

/** Encodes a CREDIT envelope. */
export function encodeCredit(
  codec: Codec,
  id: number,
  messages: number,
  bytes: number,
): Uint8Array {
  return codec.encode([PROTOCOL_VERSION, Kind.CREDIT, id, messages, bytes]);
}

/** Encodes a GOAWAY envelope. */
export function encodeGoaway(codec: Codec, message: string): Uint8Array {
  return codec.encode([PROTOCOL_VERSION, Kind.GOAWAY, 0, message]);
}

/** Why an envelope was refused by {@link checkEnvelope}. */
export type EnvelopeProblem = { readonly version: boolean; readonly message: string };

const MIN_FIELDS: Record<number, number> = {
  [Kind.REQUEST]: 7,
  [Kind.RESPONSE]: 5,
  [Kind.ERROR]: 7,
  [Kind.CANCEL]: 3,
  [Kind.DATA]: 4,
  [Kind.END]: 4,
  [Kind.CREDIT]: 5,
  [Kind.GOAWAY]: 4,
};

/**
 * Checks the common header of a decoded value: an array whose first three
 * elements are the supported version, a known kind and a call id, with at
 * least the fields of that kind. Returns `undefined` when it is fine.
 */
export function checkEnvelope(value: unknown): EnvelopeProblem | undefined {
  if (!Array.isArray(value) || value.length < 3) {
    return { version: false, message: 'envelope is not an array of at least 3 elements' };
  }
  if (value[0] !== PROTOCOL_VERSION) {
    return {
      version: true,
      message: `unsupported protocol version ${JSON.stringify(value[0])}; this peer speaks ${PROTOCOL_VERSION}`,
    };
  }
  const kind = value[1];
  const min = typeof kind === 'number' ? MIN_FIELDS[kind] : undefined;
  if (min === undefined)
    return { version: false, message: `unknown envelope kind ${JSON.stringify(kind)}` };
  const id = value[2];
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_CALL_ID) {
    return { version: false, message: 'invalid call id' };
  }
  if (value.length < min)
    return { version: false, message: `envelope kind ${kind} needs ${min} elements` };
  return undefined;
}

/** The header of an envelope read straight from the bytes, see {@link peekHeader}. */
export interface EnvelopeHeader {
  readonly version: number;
  readonly kind: number;
  readonly id: number;
}

/**
 * Reads `[version, kind, id` from the first bytes without decoding the rest,
 * so that a request whose payload is malformed can still be answered with
 * `INVALID_ARGUMENT` (and one from another protocol version with a clear
 * error). Returns `undefined` when even the header is unreadable.
 */
export function peekHeader(bytes: Uint8Array): EnvelopeHeader | undefined {
  const head = bytes[0];
  if (head === undefined) return undefined;
  let at: number;
  if (head >= 0x91 && head <= 0x9f) at = 1;
  else if (head === 0xdc) at = 3;
  else if (head === 0xdd) at = 5;
  else return undefined;
  const version = bytes[at];
  const kind = bytes[at + 1];
  if (version === undefined || version > 0x7f || kind === undefined || kind > 0x7f)
    return undefined;
  at += 2;
  const tag = bytes[at];
  if (tag === undefined) return undefined;
  let id: number;
  if (tag <= 0x7f) id = tag;
  else if (tag === 0xcc && bytes.length >= at + 2) id = bytes[at + 1] as number;
  else if (tag === 0xcd && bytes.length >= at + 3)
    id = ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number);
  else if (tag === 0xce && bytes.length >= at + 5) {
    id =
      (bytes[at + 1] as number) * 0x1000000 +
      (((bytes[at + 2] as number) << 16) |
        ((bytes[at + 3] as number) << 8) |
        (bytes[at + 4] as number));
  } else return undefined;
  return { version, kind, id };
}
