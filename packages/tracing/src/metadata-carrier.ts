import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';
import type { Metadata } from '@xsmb/rpc';

const decoder = new TextDecoder();

/**
 * Writes propagation fields into xSMB metadata. Keys are lower-cased
 * because xSMB servers refuse metadata with upper-case keys (some
 * propagators, e.g. B3 multi-header, write `X-B3-TraceId`).
 */
export const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    carrier[key.toLowerCase()] = value;
  },
};

/**
 * Reads propagation fields from xSMB metadata. A binary value (a peer in
 * another language may send bytes) is read as UTF-8.
 */
export const metadataGetter: TextMapGetter<Readonly<Metadata>> = {
  keys(carrier) {
    return Object.keys(carrier);
  },
  get(carrier, key) {
    const value = carrier[key.toLowerCase()];
    if (value === undefined || typeof value === 'string') return value;
    return decoder.decode(value);
  },
};
