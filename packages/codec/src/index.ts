/**
 * @packageDocumentation
 * Typed messages to compact, interoperable MessagePack and back, with safe
 * decoding and optional Standard Schema validation.
 */

// For end users.
export type { Codec } from './codec.js';
export {
  CodecError,
  type CodecErrorCode,
  type CodecErrorOptions,
  type ValidationIssue,
} from './errors.js';
export { defineMessage, type MessageOptions, type MessageType } from './message.js';
export {
  createMsgpackCodec,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  type MsgpackCodec,
  type MsgpackCodecOptions,
} from './msgpack-codec.js';

// For other libraries (the RPC and pub/sub layers validate with these too).
export {
  formatPath,
  type InferInput,
  type InferOutput,
  isStandardSchema,
  type StandardSchemaV1,
  validate,
  validationError,
} from './validate.js';
