/**
 * Status codes of xSMB calls. The numbers and names are gRPC's, so services in
 * other languages and users who know gRPC map them one to one.
 */
export const Code = {
  /** Not an error; returned on success. */
  OK: 0,
  /** The call was cancelled, typically by the caller (abort, client closed). */
  CANCELLED: 1,
  /** Unknown error, e.g. an error from another address space with no known code. */
  UNKNOWN: 2,
  /** The client specified an invalid argument (payload failed decoding or validation). */
  INVALID_ARGUMENT: 3,
  /** The deadline expired before the call could complete. */
  DEADLINE_EXCEEDED: 4,
  /** Some requested entity was not found. */
  NOT_FOUND: 5,
  /** The entity a client attempted to create already exists. */
  ALREADY_EXISTS: 6,
  /** The caller does not have permission to execute the operation. */
  PERMISSION_DENIED: 7,
  /** Some resource has been exhausted (server queue full, quota). */
  RESOURCE_EXHAUSTED: 8,
  /** The system is not in a state required for the operation (e.g. protocol version mismatch). */
  FAILED_PRECONDITION: 9,
  /** The operation was aborted, typically due to a concurrency issue. */
  ABORTED: 10,
  /** The operation was attempted past the valid range. */
  OUT_OF_RANGE: 11,
  /** The operation is not implemented or not supported (unknown service or method). */
  UNIMPLEMENTED: 12,
  /** Internal error: an invariant broken, or a handler threw a non-RpcError. */
  INTERNAL: 13,
  /** The service is currently unavailable (peer gone, no endpoint connected, server draining). */
  UNAVAILABLE: 14,
  /** Unrecoverable data loss or corruption. */
  DATA_LOSS: 15,
  /** The request does not have valid authentication credentials. */
  UNAUTHENTICATED: 16,
} as const;

/** A status code number, see {@link Code}. */
export type Code = (typeof Code)[keyof typeof Code];

const names: Record<number, string> = Object.fromEntries(
  Object.entries(Code).map(([name, value]) => [value, name]),
);

/** The gRPC name of a code (`'DEADLINE_EXCEEDED'`), or `'CODE_<n>'` for unknown numbers. */
export function codeName(code: number): string {
  return names[code] ?? `CODE_${code}`;
}

/** True when `value` is one of the defined codes. */
export function isCode(value: unknown): value is Code {
  return typeof value === 'number' && names[value] !== undefined;
}
