/**
 * @packageDocumentation
 * Building blocks shared by the xSMB packages: the base of their error
 * classes, a listener fan-out, the metadata check, a bounded async queue,
 * and the pino-compatible `Logger` the `logger` options take.
 * Zero dependencies.
 */

export {
  BoundedQueue,
  type BoundedQueueOptions,
  checkOverflowPolicy,
  type OverflowPolicy,
} from './bounded-queue.js';
export { CodedError } from './coded-error.js';
export { type HookEvent, type HookName, Listeners } from './listeners.js';
export {
  childLogger,
  type LogFields,
  type Logger,
  type LogMethod,
  ProblemLog,
  type ProblemLogOptions,
  silentLogger,
  withLogger,
} from './logger.js';
export {
  checkMetadata,
  EMPTY_METADATA,
  isEmptyMetadata,
  type Metadata,
  MetadataLimits,
  type MetadataProblem,
  metadataProblem,
} from './metadata.js';
export { RingBuffer } from './ring-buffer.js';
