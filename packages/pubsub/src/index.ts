/** @packageDocumentation Typed pub/sub on ZeroMQ's native PUB/SUB: topics and keys, readiness, per-topic bursting, sequence numbers and gap detection, a broker. */
export {};
