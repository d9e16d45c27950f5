/**
 * Peer: grpc-js with a hand-written generic service definition and msgpackr
 * as its serializer (no protobuf), over one HTTP/2 connection. Unary,
 * server streaming and client streaming, with grpc-js's own flow control
 * (`write()` returning false, `pause()` on the reading side).
 */
import { once } from 'node:events';
import {
  type ClientReadableStream,
  type ClientWritableStream,
  credentials,
  makeGenericClientConstructor,
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { withTimeout } from '../harness/time.js';
import {
  type BenchMessage,
  codec,
  type EchoMessage,
  type StreamRequest,
  type UploadSummary,
} from '../payload.js';
import type { BenchHandlers, OnMessage, Served, UploadCall } from '../types.js';
import { rpcPeerSubject } from './lib/rpc-workloads.js';

const serialize = (value: unknown): Buffer => codec.pack(value);
const deserialize = (bytes: Buffer): unknown => codec.unpack(bytes);

function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/bench.Bench/${name}`,
    requestStream,
    responseStream,
    requestSerialize: serialize,
    requestDeserialize: deserialize,
    responseSerialize: serialize,
    responseDeserialize: deserialize,
    originalName: name,
  };
}

/** The service, as grpc-js would get it from a .proto, but with msgpackr. */
const BENCH_SERVICE: ServiceDefinition = {
  Echo: method('Echo', false, false),
  Stream: method('Stream', false, true),
  Upload: method('Upload', true, false),
};

const BenchClient = makeGenericClientConstructor(BENCH_SERVICE, 'Bench');

/** The generated client's methods (the generic constructor types them loosely). */
interface BenchStub {
  Echo(request: EchoMessage, callback: (error: ServiceError | null, reply?: unknown) => void): void;
  Stream(request: StreamRequest): ClientReadableStream<unknown>;
  Upload(
    callback: (error: ServiceError | null, reply?: UploadSummary) => void,
  ): ClientWritableStream<BenchMessage>;
  close(): void;
  waitForReady(deadline: number, callback: (error?: Error) => void): void;
}

/** Waits for 'drain' or 'cancelled', removing both listeners either way. */
function drainedOrCancelled(
  call: ServerWritableStream<StreamRequest, BenchMessage>,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}

async function writeStream(
  handlers: BenchHandlers,
  call: ServerWritableStream<StreamRequest, BenchMessage>,
): Promise<void> {
  const count = call.request.count;
  for (let i = 0; i < count; i++) {
    if (call.cancelled) return;
    // write() returning false is grpc-js's backpressure (HTTP/2 flow control).
    if (!call.write(handlers.streamMessage(i))) await drainedOrCancelled(call);
  }
  call.end();
}

async function serve(handlers: BenchHandlers): Promise<Served> {
  const server = new Server();
  server.addService(BENCH_SERVICE, {
    Echo(call: ServerUnaryCall<EchoMessage, EchoMessage>, callback: sendUnaryData<EchoMessage>) {
      callback(null, handlers.echo(call.request));
    },
    Stream(call: ServerWritableStream<StreamRequest, BenchMessage>) {
      writeStream(handlers, call).catch((error: unknown) => call.destroy(error as Error));
    },
    Upload(
      call: ServerReadableStream<unknown, UploadSummary>,
      callback: sendUnaryData<UploadSummary>,
    ) {
      const sink = handlers.openUpload();
      call.on('data', (message: unknown) => sink.push(message));
      call.on('end', () => callback(null, sink.finish()));
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    async close() {
      await withTimeout(
        new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
        1000,
        'grpc shutdown',
      ).catch(() => server.forceShutdown());
    },
  };
}

async function connect(endpoint: string) {
  const stub = new BenchClient(endpoint, credentials.createInsecure()) as unknown as BenchStub;
  await new Promise<void>((resolve, reject) =>
    stub.waitForReady(Date.now() + 5000, (error) => (error ? reject(error) : resolve())),
  );
  return {
    unary: (request: EchoMessage) =>
      new Promise<unknown>((resolve, reject) =>
        stub.Echo(request, (error, reply) => (error ? reject(error) : resolve(reply))),
      ),
    serverStream: (count: number, onMessage: OnMessage) =>
      new Promise<void>((resolve, reject) => {
        const call = stub.Stream({ count });
        call.on('data', (message: unknown) => {
          const wait = onMessage(message);
          if (wait) {
            // Pausing stops grpc-js reading, which closes the HTTP/2 window.
            call.pause();
            wait.then(() => call.resume(), reject);
          }
        });
        call.on('end', () => resolve());
        call.on('error', reject);
      }),
    clientStream(): UploadCall {
      let call!: ClientWritableStream<BenchMessage>;
      const reply = new Promise<unknown>((resolve, reject) => {
        call = stub.Upload((error, summary) => (error ? reject(error) : resolve(summary)));
      });
      // Surfaced by finish(); an early failure must not be an unhandled rejection.
      reply.catch(() => {});
      return {
        // write() returning false is grpc-js's backpressure: wait for 'drain'.
        send: (message) => (call.write(message) ? undefined : once(call, 'drain').then(() => {})),
        finish: () => {
          call.end();
          return reply;
        },
      };
    },
    async close() {
      stub.close();
    },
  };
}

/** grpc-js: generic service definition, msgpackr serializer, one channel. */
export const subject = rpcPeerSubject(
  'grpc-js',
  '@grpc/grpc-js, hand-written ServiceDefinition with msgpackr (de)serializers, one channel (HTTP/2)',
  { serve, connect },
);
