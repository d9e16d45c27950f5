/** @packageDocumentation Typed messages to compact, interoperable MessagePack and back, with safe decoding and optional Standard Schema validation. */
export {};
