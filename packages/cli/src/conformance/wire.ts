/**
 * Wire-level access for the conformance scenarios that a well-behaved client
 * cannot produce (a wrong protocol version, an undecodable payload) or that
 * must watch the envelopes themselves (credit, GOAWAY). Every import of the
 * transport and of rpc's envelope encoders (`@xsmb/rpc/kit`) is here, so a move of those
 * exports touches this file only.
 */

import { createMsgpackCodec } from '@xsmb/codec';
import type { Metadata } from '@xsmb/rpc';
import {
  encodeCancel,
  encodeCredit,
  encodeData,
  encodeEnd,
  encodeRequest,
  Kind,
  PROTOCOL_VERSION,
} from '@xsmb/rpc/kit';
import {
  type ClientCurveOptions,
  type ClientTransport,
  createClientTransport,
  createServerTransport,
  type PeerId,
} from '@xsmb/transport';

export { Kind, PROTOCOL_VERSION };

/** A decoded envelope: `[version, kind, callId, ...fields]`. */
export type WireEnvelope = readonly unknown[];

const codec = createMsgpackCodec();

/** MessagePack-encodes a value the way xSMB does. */
export function encodeValue(value: unknown): Uint8Array {
  return codec.encode(value);
}

/**
 * One raw client connection (a DEALER): send envelopes, wait for the ones
 * the server sends. Messages that cannot be decoded are only counted
 * ({@link WireConnection.undecodable}).
 */
export class WireConnection {
  private readonly received: WireEnvelope[] = [];
  private readonly waiters = new Set<() => void>();
  /** Messages from the server that did not decode. */
  undecodable = 0;

  private constructor(private readonly transport: ClientTransport) {
    void this.pump();
  }

  /** Connects and waits for the connection (up to `timeoutMs`). */
  static async open(
    endpoint: string,
    options: { curve?: ClientCurveOptions | undefined; timeoutMs: number },
  ): Promise<WireConnection> {
    const transport = createClientTransport(
      endpoint,
      options.curve === undefined ? {} : { curve: options.curve },
    );
    try {
      await transport.ready({ timeoutMs: options.timeoutMs });
    } catch (error) {
      await transport.close();
      throw error;
    }
    return new WireConnection(transport);
  }

  private async pump(): Promise<void> {
    try {
      for await (const message of this.transport) {
        try {
          this.received.push(codec.decode(message) as WireEnvelope);
        } catch {
          this.undecodable++;
        }
        for (const w of this.waiters) w();
      }
    } catch {
      // Closed: waiters time out.
    }
  }

  /** Sends raw bytes as one message. */
  sendRaw(bytes: Uint8Array): Promise<void> {
    return this.transport.send(bytes);
  }

  /** Sends a REQUEST (revision 1.1, with the method kind). */
  request(
    id: number,
    path: string,
    payload: unknown,
    options: { timeoutMs?: number; metadata?: Metadata; kind?: string } = {},
  ): Promise<void> {
    return this.sendRaw(
      encodeRequest(
        codec,
        id,
        path,
        options.timeoutMs ?? 0,
        options.metadata,
        payload,
        options.kind ?? 'unary',
      ),
    );
  }

  /** Sends CREDIT. */
  credit(id: number, messages: number, bytes: number): Promise<void> {
    return this.sendRaw(encodeCredit(codec, id, messages, bytes));
  }

  /** Sends DATA. */
  data(id: number, payload: unknown): Promise<void> {
    return this.sendRaw(encodeData(codec, id, payload));
  }

  /** Sends END. */
  end(id: number): Promise<void> {
    return this.sendRaw(encodeEnd(codec, id, undefined));
  }

  /** Sends CANCEL. */
  cancel(id: number): Promise<void> {
    return this.sendRaw(encodeCancel(codec, id));
  }

  /**
   * Takes the first received envelope (in arrival order) that `match`
   * accepts, waiting up to `timeoutMs`; `undefined` when none came.
   */
  async next(
    match: (env: WireEnvelope) => boolean,
    timeoutMs: number,
  ): Promise<WireEnvelope | undefined> {
    const take = () => {
      const at = this.received.findIndex(match);
      return at < 0 ? undefined : this.received.splice(at, 1)[0];
    };
    const now = take();
    if (now !== undefined) return now;
    return new Promise((resolve) => {
      const check = () => {
        const env = take();
        if (env !== undefined) finish(env);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (env: WireEnvelope | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(env);
      };
      this.waiters.add(check);
    });
  }

  /** How many received, not yet taken envelopes `match` accepts. */
  count(match: (env: WireEnvelope) => boolean): number {
    return this.received.filter(match).length;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.transport.close();
  }
}

/** Matches envelopes of `kind` for call `id`. */
export function envelopeOf(kind: number, id: number): (env: WireEnvelope) => boolean {
  return (env) => env[1] === kind && env[2] === id;
}

/** Answers of a {@link RawServer} handler: envelopes to send back, as values. */
export type RawReply = (envelope: readonly unknown[]) => Promise<void>;

/**
 * A server that sees raw envelopes and answers with any envelope, right or
 * wrong: what tests use to play a misbehaving peer (a server that ignores
 * credit) and check that the kit catches it.
 */
export interface RawServer {
  /** The bound endpoint. */
  readonly endpoint: string;
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts a {@link RawServer} on `endpoint`; `handle` gets every decodable envelope. */
export async function startRawServer(
  endpoint: string,
  handle: (envelope: WireEnvelope, reply: RawReply) => void | Promise<void>,
): Promise<RawServer> {
  const transport = createServerTransport({});
  const bound = await transport.listen(endpoint);
  void (async () => {
    try {
      for await (const { peer, message } of transport) {
        let envelope: WireEnvelope;
        try {
          envelope = codec.decode(message) as WireEnvelope;
        } catch {
          continue;
        }
        const to: PeerId = peer;
        await handle(envelope, (env) => transport.send(to, codec.encode(env)));
      }
    } catch {
      // Closed.
    }
  })();
  return { endpoint: bound, close: () => transport.close() };
}
