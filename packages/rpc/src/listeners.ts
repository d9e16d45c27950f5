import type { CallEndEvent, CallStartEvent, MessageEvent, RpcListener } from './call.js';

/** Fans events out to listeners; a throwing listener is ignored (and counted). */
export class Listeners {
  readonly #start: Array<(e: CallStartEvent) => void> = [];
  readonly #message: Array<(e: MessageEvent) => void> = [];
  readonly #end: Array<(e: CallEndEvent) => void> = [];
  /** Listener exceptions swallowed so far. */
  errors = 0;

  constructor(listeners: readonly RpcListener[] = []) {
    for (const l of listeners) {
      if (l.onCallStart) this.#start.push(l.onCallStart.bind(l));
      if (l.onMessage) this.#message.push(l.onMessage.bind(l));
      if (l.onCallEnd) this.#end.push(l.onCallEnd.bind(l));
    }
  }

  /** True when someone listens to calls starting (build the event only then). */
  get hasStart(): boolean {
    return this.#start.length > 0;
  }
  /** True when someone listens to messages. */
  get hasMessage(): boolean {
    return this.#message.length > 0;
  }
  /** True when someone listens to calls ending. */
  get hasEnd(): boolean {
    return this.#end.length > 0;
  }

  start(event: CallStartEvent): void {
    for (const fn of this.#start) {
      try {
        fn(event);
      } catch {
        this.errors++;
      }
    }
  }

  message(event: MessageEvent): void {
    for (const fn of this.#message) {
      try {
        fn(event);
      } catch {
        this.errors++;
      }
    }
  }

  end(event: CallEndEvent): void {
    for (const fn of this.#end) {
      try {
        fn(event);
      } catch {
        this.errors++;
      }
    }
  }
}
