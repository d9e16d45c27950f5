/**
 * A minimal typed emitter, for {@link TransportEvents} by default (the
 * broker uses it with its own events): `@xsmb/zmtp`'s emitter, with one event
 * object per event instead of an argument list. Listeners must not throw; if
 * one does, the error is swallowed so a buggy listener cannot break the
 * socket loop that emitted the event.
 */

import { ZmtpEmitter } from '@xsmb/zmtp';
import type { TransportEvents } from './types.js';

/** `E` as ZmtpEmitter's argument tuples: each event takes its one event object. */
type OneArg<E> = { [K in keyof E]: [event: E[K]] };

/** Holds the listeners of one transport (or broker). */
export class TransportEmitter<E extends object = TransportEvents> extends ZmtpEmitter<OneArg<E>> {
  /** Calls every listener of `event` with `data`; errors thrown by listeners are ignored. */
  override emit<K extends keyof E>(event: K, data: E[K]): void {
    super.emit(event, data);
  }
}
