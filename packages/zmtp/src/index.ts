/** @packageDocumentation ZeroMQ sockets (ZMTP 3.1, NULL and CURVE) in TypeScript over node:net: no native code. */
export {};
