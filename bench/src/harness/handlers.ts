/** The server-side logic every subject runs (see {@link BenchHandlers}). */
import { diffMessage, makeMessage } from '../payload.js';
import type { BenchHandlers, UploadSink } from '../types.js';

/** Creates the shared handlers: echo, the i-th stream message, a checking upload sink. */
export function createBenchHandlers(): BenchHandlers {
  return {
    echo: (request) => request,
    streamMessage: (index) => makeMessage(index),
    openUpload(): UploadSink {
      let count = 0;
      let bad = 0;
      return {
        push(message) {
          if (diffMessage(message, count) !== null) bad++;
          count++;
        },
        finish: () => ({ count, bad }),
      };
    },
  };
}
