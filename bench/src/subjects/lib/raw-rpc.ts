/**
 * Transport-agnostic RPC core of the hand-written peers: the server
 * dispatches envelopes to the shared handlers, the client correlates replies
 * by call id. Transports (zeromq, node:net) only move encoded envelopes.
 */
import { codec, type EchoMessage, type StreamRequest } from '../../payload.js';
import type { BenchHandlers, OnMessage, UploadCall, UploadSink } from '../../types.js';
import { type Envelope, Kind } from './envelope.js';

/** Sends one encoded envelope; a returned promise means "wait before sending more". */
export type SendEnvelope = (bytes: Uint8Array) => undefined | Promise<void>;

/** One connected client as the server sees it. */
export interface RawPeer {
  send: SendEnvelope;
  /** Open client-stream calls of this peer by call id. */
  uploads: Map<number, UploadSink>;
}

/** Most messages one server-stream request may ask for. */
const MAX_STREAM_COUNT = 50_000_000;

/** The server side: decodes each envelope and answers through the peer. */
export class RawRpcServer {
  constructor(
    private readonly handlers: BenchHandlers,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Handles one encoded envelope from `peer`. */
  handle(peer: RawPeer, bytes: Uint8Array): void {
    const [kind, id, body] = codec.unpack(bytes) as Envelope;
    switch (kind) {
      case Kind.unary:
        // Replies ignore backpressure: the client bounds what is in flight.
        peer.send(codec.pack([Kind.reply, id, this.handlers.echo(body as EchoMessage)]));
        return;
      case Kind.streamOpen:
        this.stream(peer, id, (body as StreamRequest).count).catch(this.onError);
        return;
      case Kind.uploadData: {
        let sink = peer.uploads.get(id);
        if (!sink) {
          sink = this.handlers.openUpload();
          peer.uploads.set(id, sink);
        }
        sink.push(body);
        return;
      }
      case Kind.uploadEnd: {
        const sink = peer.uploads.get(id) ?? this.handlers.openUpload();
        peer.uploads.delete(id);
        peer.send(codec.pack([Kind.uploadReply, id, sink.finish()]));
        return;
      }
      default:
        peer.send(codec.pack([Kind.error, id, `unknown kind ${String(kind)}`]));
    }
  }

  private async stream(peer: RawPeer, id: number, count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0 || count > MAX_STREAM_COUNT) {
      peer.send(codec.pack([Kind.error, id, `bad stream count ${count}`]));
      return;
    }
    for (let i = 0; i < count; i++) {
      // Honour the transport's backpressure: this is all the flow control
      // the raw peers have (zmq high-water marks, TCP windows).
      const wait = peer.send(codec.pack([Kind.streamData, id, this.handlers.streamMessage(i)]));
      if (wait) await wait;
    }
    peer.send(codec.pack([Kind.streamEnd, id]));
  }
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onMessage?: OnMessage;
}

/** The client side: issues calls and routes envelopes back to them. */
export class RawRpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private failure: Error | null = null;

  constructor(private readonly send: SendEnvelope) {}

  /** One unary call. */
  unary(request: EchoMessage): Promise<unknown> {
    return this.open((id) => this.send(codec.pack([Kind.unary, id, request])));
  }

  /** One server stream of `count` messages. */
  serverStream(count: number, onMessage: OnMessage): Promise<void> {
    return this.open(
      (id) => this.send(codec.pack([Kind.streamOpen, id, { count }])),
      onMessage,
    ).then(() => undefined);
  }

  /** One client stream. */
  clientStream(): UploadCall {
    const id = this.nextId++;
    let reply: Promise<unknown> | null = null;
    return {
      send: (message) => {
        if (this.failure) throw this.failure;
        return this.send(codec.pack([Kind.uploadData, id, message]));
      },
      finish: () => {
        reply ??= new Promise((resolve, reject) => {
          if (this.failure) throw this.failure;
          this.pending.set(id, { resolve, reject });
          this.send(codec.pack([Kind.uploadEnd, id]));
        });
        return reply;
      },
    };
  }

  /**
   * Handles one encoded envelope from the server. Returns the stream
   * consumer's promise, which the transport must await before reading on.
   */
  handle(bytes: Uint8Array): undefined | Promise<void> {
    const [kind, id, body] = codec.unpack(bytes) as Envelope;
    const call = this.pending.get(id);
    if (!call) return undefined;
    switch (kind) {
      case Kind.streamData:
        return call.onMessage?.(body) ?? undefined;
      case Kind.reply:
      case Kind.uploadReply:
      case Kind.streamEnd:
        this.pending.delete(id);
        call.resolve(body);
        return undefined;
      case Kind.error:
        this.pending.delete(id);
        call.reject(new Error(`server error: ${String(body)}`));
        return undefined;
      default:
        this.pending.delete(id);
        call.reject(new Error(`unexpected envelope kind ${String(kind)}`));
        return undefined;
    }
  }

  /** Fails every open call (transport lost); later calls fail at once. */
  fail(error: Error): void {
    this.failure ??= error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }

  private open(start: (id: number) => unknown, onMessage?: OnMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.failure) throw this.failure;
      const id = this.nextId++;
      this.pending.set(id, onMessage ? { resolve, reject, onMessage } : { resolve, reject });
      start(id);
    });
  }
}
