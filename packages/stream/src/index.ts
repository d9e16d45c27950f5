/**
 * @packageDocumentation
 * Server-to-client, client-to-server and bidirectional streams for xSMB,
 * with credit-based flow control. Use the kinds inside `defineService` from
 * `@xsmb/rpc`.
 */

export type { CallLink } from './call-link.js';
export { CreditReceiver, type CreditWindow } from './credit-receiver.js';
export { CreditSender } from './credit-sender.js';
export { Inbox, type InboxOptions } from './inbox.js';
export {
  type BidiStreamCall,
  type BidiStreamClient,
  type BidiStreamDescriptor,
  type BidiStreamHandler,
  bidiStream,
  type ClientStreamCall,
  type ClientStreamClient,
  type ClientStreamDescriptor,
  type ClientStreamHandler,
  clientStream,
  DEFAULT_WINDOW_BYTES,
  DEFAULT_WINDOW_MESSAGES,
  type ServerStreamCall,
  type ServerStreamClient,
  type ServerStreamDescriptor,
  type ServerStreamHandler,
  serverStream,
  type WindowOptions,
  type WithAuthorize,
} from './kinds.js';
export { Outbox, type Sink } from './outbox.js';
