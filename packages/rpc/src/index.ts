/** @packageDocumentation Typed unary RPC over xSMB: metadata, deadlines, cancellation, typed errors, interceptors, listeners, concurrency limits. */
export {};
