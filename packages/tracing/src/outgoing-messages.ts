import type { CallRecord } from './call-record.js';
import { TracedMessages } from './traced-messages.js';

/**
 * The part of `@xsmb/stream`'s `Outbox` (the `messages` of a client or bidi
 * stream request) used here: the call attaches a sink that sends each
 * message as `send()` hands it over, or, when an inner interceptor wrapped
 * it, the outbox is iterated.
 */
interface Outbox extends AsyncIterable<unknown> {
  attach(sink: (value: unknown) => void, ...rest: unknown[]): void;
}

function isOutbox(value: AsyncIterable<unknown>): value is Outbox {
  return typeof (value as Partial<Outbox>).attach === 'function';
}

/**
 * Counts the messages a client stream sends, without replacing the request's
 * message source. Replacing an `Outbox` (wrapping it, as interceptors may)
 * would change how the stream runs: the call pumps the wrapper instead of
 * sending at `send()`, and the stream package then no longer fails pending
 * `send()`s when the call ends early. So an `Outbox` keeps its identity and
 * is counted where messages leave it: at the sink it is attached to, or at
 * its iterator when an inner interceptor iterates it. Any other iterable
 * (already another interceptor's wrapper) is wrapped.
 */
export function countOutgoing(
  messages: AsyncIterable<unknown>,
  record: CallRecord,
): AsyncIterable<unknown> {
  if (!isOutbox(messages)) {
    return new TracedMessages(messages, {
      record,
      direction: 'sent',
      ends: false,
      context: undefined,
    });
  }
  const attach = messages.attach;
  messages.attach = (sink, ...rest) =>
    attach.call(
      messages,
      (value: unknown) => {
        sink(value);
        record.sentOne();
      },
      ...rest,
    );
  const iterate = messages[Symbol.asyncIterator];
  messages[Symbol.asyncIterator] = () => {
    const it = iterate.call(messages);
    const counted: AsyncIterator<unknown> = {
      next: () =>
        it.next().then((result) => {
          if (!result.done) record.sentOne();
          return result;
        }),
    };
    if (it.return) counted.return = (value?: unknown) => (it.return as typeof counted.next)(value);
    return counted;
  };
  return messages;
}
