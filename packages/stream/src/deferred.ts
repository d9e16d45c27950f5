/** A promise with its settle functions. */
export interface Deferred<T> {
  /** Never reported as an unhandled rejection (see {@link deferred}). */
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

function noop(): void {}

/**
 * A promise with its settle functions, whose rejection is never "unhandled":
 * a stream's trailers or result may fail while nobody looks at them.
 */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(noop);
  return { promise, resolve, reject };
}
