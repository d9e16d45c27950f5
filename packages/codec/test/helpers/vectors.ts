import { readFileSync } from 'node:fs';

/** A hex string, or segments of hex with repetitions (for long values). */
export type HexSpec =
  | string
  | readonly (string | { readonly repeat: string; readonly times: number })[];

export interface EncodeVector {
  readonly name: string;
  readonly note?: string;
  readonly value: unknown;
  readonly hex: HexSpec;
  readonly decoded?: unknown;
}

export interface DecodeVector {
  readonly name: string;
  readonly note?: string;
  readonly hex: HexSpec;
  readonly decoded: unknown;
}

export interface RejectVector {
  readonly name: string;
  readonly note?: string;
  readonly hex: HexSpec;
  readonly code: string;
}

export interface VectorFile {
  readonly vectors: readonly EncodeVector[];
  readonly decodeOnly: readonly DecodeVector[];
  readonly rejected: readonly RejectVector[];
}

export function loadVectors(): VectorFile {
  const url = new URL('../vectors/codec-vectors.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as VectorFile;
}

/** Expands a {@link HexSpec} to lowercase hex. */
export function hexOf(spec: HexSpec): string {
  if (typeof spec === 'string') return spec;
  return spec.map((s) => (typeof s === 'string' ? s : s.repeat.repeat(s.times))).join('');
}

export function bytesOf(spec: HexSpec): Uint8Array {
  return Uint8Array.from(Buffer.from(hexOf(spec), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Turns the JSON-friendly tagged form of the vector file into JavaScript values. */
export function fromTagged(tagged: unknown): unknown {
  if (Array.isArray(tagged)) return tagged.map(fromTagged);
  if (typeof tagged !== 'object' || tagged === null) return tagged;
  const entries = Object.entries(tagged);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && first[0].startsWith('$')) {
    const [tag, arg] = first as [string, never];
    switch (tag) {
      case '$bigint':
        return BigInt(arg as string);
      case '$bin': {
        const spec = arg as string | { repeat: string; times: number };
        return bytesOf(typeof spec === 'string' ? spec : [spec]);
      }
      case '$str': {
        const spec = arg as { repeat: string; times: number };
        return spec.repeat.repeat(spec.times);
      }
      case '$array': {
        const spec = arg as { repeat: unknown; times: number };
        return Array.from({ length: spec.times }, () => fromTagged(spec.repeat));
      }
      case '$date':
        return new Date(arg as string);
      case '$float':
        return Number(arg as string);
      case '$undefined':
        return undefined;
      case '$map':
        return new Map(
          (arg as [unknown, unknown][]).map(([k, v]) => [fromTagged(k), fromTagged(v)] as const),
        );
      default:
        throw new Error(`unknown tag ${tag}`);
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, fromTagged(v)]));
}
