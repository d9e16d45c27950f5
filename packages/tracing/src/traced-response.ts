import { Code, RpcError } from '@xsmb/rpc';
import { TracedMessages, type TracedMessagesOptions } from './traced-messages.js';

/** A response that may carry a message stream (client or server side). */
interface MaybeStreaming {
  messages?: AsyncIterable<unknown>;
}

/**
 * Ends a call's trace with its response, alike on both sides: a response
 * with messages gets them wrapped in a {@link TracedMessages} (the stream's
 * end ends the call); any other response ends it with `end(undefined)`, a
 * failed one with `end(error)`. With `signal`, a stream cancelled but never
 * read ends the call too, else its span would stay open.
 */
export function traceResponse<R extends MaybeStreaming>(
  response: Promise<R>,
  messages: Omit<TracedMessagesOptions, 'ends'>,
  end: (error: unknown) => void,
  signal?: AbortSignal,
): Promise<R> {
  return response.then(
    (r) => {
      const streaming: MaybeStreaming = r;
      if (!streaming.messages) {
        end(undefined);
        return r;
      }
      streaming.messages = new TracedMessages(streaming.messages, { ...messages, ends: true });
      if (signal) {
        const cancelled = () => end(RpcError.from(signal.reason, Code.CANCELLED));
        if (signal.aborted) cancelled();
        else signal.addEventListener('abort', cancelled, { once: true });
      }
      return r;
    },
    (e: unknown) => {
      end(e);
      throw e;
    },
  );
}
