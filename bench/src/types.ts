/**
 * What a subject (xSMB or a peer) implements. A subject provides, per
 * workload, a server half (run in the server child) and a client half (run in
 * the client child); the workloads in `src/workloads/` drive both and check
 * every reply, so subjects contain transport code only.
 */
import type { BenchMessage, EchoMessage, PubMessage, UploadSummary } from './payload.js';

/** Names of the workloads, in the order they run and print. */
export const WORKLOAD_NAMES = [
  'unary-latency',
  'unary-throughput',
  'unary-1mib',
  's2c-stream',
  'c2s-stream',
  'pubsub',
  'stream-memory',
] as const;

/** A workload name. */
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/**
 * Server-side behaviour shared by every subject, handed to `serve()`, so all
 * servers run the same handler code and only the transport differs.
 */
export interface BenchHandlers {
  /** Unary: returns the reply for a decoded request (an echo). */
  echo(request: EchoMessage): EchoMessage;
  /** Server stream: the message with index `index` (0-based) of a stream of `count`. */
  streamMessage(index: number): BenchMessage;
  /** Client stream: opens the server-side sink of one upload call. */
  openUpload(): UploadSink;
}

/** The server's side of one client-stream call. */
export interface UploadSink {
  /** Takes the next decoded message; checks its content (never throws). */
  push(message: unknown): void;
  /** Ends the call and gives the reply. */
  finish(): UploadSummary;
}

/** A running server, in the server child. */
export interface Served {
  /** Address the client connects to (`tcp://127.0.0.1:5555`, `http://…`, `127.0.0.1:5555`). */
  endpoint: string;
  /** Stops listening and releases sockets. */
  close(): Promise<void>;
}

/** Options for a client connection. */
export interface ConnectOptions {
  /** Most calls the workload will have in flight at once (1 or 64). */
  maxInFlight: number;
}

/** Something a client closes when its workload is done. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * A callback that receives a decoded message. It never throws. When it
 * returns a promise the subject must not deliver the next message of that
 * stream before the promise settles: that is how the slow consumer of
 * `stream-memory` applies backpressure through each subject's own mechanism.
 */
export type OnMessage = (message: unknown) => void | Promise<void>;

/** Client of unary calls. */
export interface UnaryClient extends Closable {
  /** Sends one request; resolves with the decoded reply. */
  unary(request: EchoMessage): Promise<unknown>;
}

/** Client of server streams. */
export interface ServerStreamClient extends Closable {
  /**
   * Opens a server stream of `count` messages, hands each decoded message to
   * `onMessage` in order, and resolves when the server has ended the stream.
   */
  serverStream(count: number, onMessage: OnMessage): Promise<void>;
}

/** Client of client streams. */
export interface ClientStreamClient extends Closable {
  /** Opens one client-stream call. */
  clientStream(): UploadCall;
}

/** The client's side of one client-stream call. */
export interface UploadCall {
  /**
   * Queues one message. Returns a promise only when the caller must wait
   * before sending more (backpressure); `undefined` means "send on".
   */
  send(message: BenchMessage): undefined | Promise<void>;
  /** Ends the stream and resolves with the server's decoded reply. */
  finish(): Promise<unknown>;
}

/** The server half every RPC workload needs. */
export interface RpcServerImpl {
  /** Starts a server on 127.0.0.1 with a free port, in the server child. */
  serve(handlers: BenchHandlers): Promise<Served>;
}

/** Unary workloads: `unary-latency`, `unary-throughput`, `unary-1mib`. */
export interface UnaryImpl extends RpcServerImpl {
  /** Connects a client, in the client child. */
  connect(endpoint: string, options: ConnectOptions): Promise<UnaryClient>;
}

/** Server-stream workloads: `s2c-stream`, `stream-memory`. */
export interface ServerStreamImpl extends RpcServerImpl {
  /** Connects a client, in the client child. */
  connect(endpoint: string, options: ConnectOptions): Promise<ServerStreamClient>;
}

/** Client-stream workload: `c2s-stream`. */
export interface ClientStreamImpl extends RpcServerImpl {
  /** Connects a client, in the client child. */
  connect(endpoint: string, options: ConnectOptions): Promise<ClientStreamClient>;
}

/** A publisher, in the server child. */
export interface Publisher extends Closable {
  /** Address subscribers connect to. */
  endpoint: string;
  /** Resolves once `count` subscribers are subscribed (slow-joiner guard); rejects after `timeoutMs`. */
  waitForSubscribers(count: number, timeoutMs: number): Promise<void>;
  /** Publishes one message; a returned promise means "wait before publishing more". */
  publish(message: PubMessage): undefined | Promise<void>;
  /** Resolves when everything queued in the process has been handed to the transport. */
  flush(): Promise<void>;
}

/** Pub/sub workload: `pubsub`. */
export interface PubSubImpl {
  /** Binds a publisher on 127.0.0.1 with a free port, in the server child. */
  publisher(): Promise<Publisher>;
  /**
   * Connects and subscribes, in the client child; resolves once subscribed.
   * `onMessage` gets each decoded message (its promise, if any, may be ignored).
   */
  subscriber(endpoint: string, onMessage: OnMessage): Promise<Closable>;
}

/** The implementation type each workload expects from a subject. */
export interface WorkloadImpls {
  'unary-latency': UnaryImpl;
  'unary-throughput': UnaryImpl;
  'unary-1mib': UnaryImpl;
  's2c-stream': ServerStreamImpl;
  'c2s-stream': ClientStreamImpl;
  pubsub: PubSubImpl;
  'stream-memory': ServerStreamImpl;
}

/** A thing being measured: xSMB itself or a peer it is compared with. */
export interface Subject {
  /** Short kebab-case name shown in the table (`grpc-js`, `xsmb`). */
  name: string;
  /** `xsmb` subjects get ratio columns against every `peer`. */
  kind: 'xsmb' | 'peer';
  /** One line: what it is and how it is configured. */
  description: string;
  /** The workloads it implements; a missing one prints `n/a`. */
  workloads: Partial<WorkloadImpls>;
  /**
   * An external server the subject needs, started once per run by the parent
   * (`nats`: a `nats-server` on a free loopback port, its URL in the children's
   * `BENCH_NATS_URL`). Its CPU is measured over each cell's window.
   */
  broker?: 'nats';
}
