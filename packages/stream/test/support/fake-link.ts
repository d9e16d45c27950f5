import { createMsgpackCodec } from '@xsmb/codec';
import type { CallLink } from '../../src/call-link.js';

/** One envelope a {@link FakeLink} was asked to send, decoded. */
export interface Sent {
  kind: number;
  message: unknown;
  envelope: unknown[];
  size: number;
}

/** A CallLink without sockets: it records what it sends; `full` makes sends hold until `admit()`. */
export class FakeLink implements CallLink {
  readonly codec = createMsgpackCodec();
  readonly sent: Sent[] = [];
  full = false;
  #held: Array<() => void> = [];

  constructor(readonly id = 7) {}

  send(kind: number, message: unknown, bytes: Uint8Array): Promise<void> | undefined {
    this.sent.push({
      kind,
      message,
      envelope: this.codec.decode(bytes) as unknown[],
      size: bytes.byteLength,
    });
    if (!this.full) return undefined;
    return new Promise((resolve) => this.#held.push(resolve));
  }

  /** Lets every held send through. */
  admit(): void {
    this.full = false;
    for (const resolve of this.#held.splice(0)) resolve();
  }

  /** The envelopes of one kind. */
  of(kind: number): unknown[][] {
    return this.sent.filter((s) => s.kind === kind).map((s) => s.envelope);
  }
}
