/**
 * Lets an interceptor watch the messages a client stream sends without
 * changing how they are sent. Wrapping `request.messages` in an ordinary
 * iterable would: the call would then pull from the wrapper instead of
 * sending at `send()`, and `send()` would resolve when pulled rather than
 * when sent or refused. An {@link observeMessages} wrapper that reaches the
 * engine untouched is unwrapped there and its observer moved to the call's
 * wire; one that an inner interceptor iterates observes the pulls.
 */

import type { ClientRequest } from './call.js';

class ObservedMessages<T> implements AsyncIterable<T> {
  constructor(
    readonly source: AsyncIterable<T>,
    readonly observer: (message: T) => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const it = this.source[Symbol.asyncIterator]();
    const observer = this.observer;
    const observed: AsyncIterator<T> = {
      next: () =>
        it.next().then((result) => {
          if (!result.done) observer(result.value);
          return result;
        }),
    };
    if (it.return) observed.return = (value?: unknown) => (it.return as typeof it.next)(value);
    return observed;
  }
}

/**
 * `source` with `observer` called for each message as it leaves it (sent
 * by the call, or pulled by an inner interceptor). For observers such as
 * tracing: `request.messages = observeMessages(request.messages, count)`.
 */
export function observeMessages<T>(
  source: AsyncIterable<T>,
  observer: (message: T) => void,
): AsyncIterable<T> {
  return new ObservedMessages(source, observer);
}

/**
 * Before a request reaches its method kind: takes off the observation
 * wrappers nobody iterated, so the kind sends from the caller's own source,
 * and lets the call's wire report each message sent to their observers.
 */
export function unwrapObserved(request: ClientRequest): ClientRequest {
  let messages = request.messages;
  if (!(messages instanceof ObservedMessages)) return request;
  while (messages instanceof ObservedMessages) {
    const observer = (messages as ObservedMessages<unknown>).observer;
    request.wire.observe((direction, message) => {
      if (direction === 'out') observer(message);
    });
    messages = (messages as ObservedMessages<unknown>).source;
  }
  request.messages = messages;
  return request;
}
