import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createClient, createServer, defineService, unary } from '@xsmb/rpc';
import { serverStream } from '@xsmb/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { clientTracing, serverTracing } from '../src/index.js';
import { Greeter, greeterImpl } from './services.js';
import { type Otel, parentId, registerOtel, resetOtel } from './support.js';

/** A span as the child process exports it. */
interface RemoteSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode; message?: string };
}

const Remote = defineService('fixture.Remote', {
  hello: unary<{ name: string }, { greeting: string; tenant: string | null }>(),
  relay: unary<{ name: string; endpoint: string }, { greeting: string }>(),
  count: serverStream<{ n: number }, { i: number }>({ windowMessages: 16 }),
});

const transportOptions = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1000 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await resetOtel();
});

/** Starts the traced server in a child process; its spans arrive in `spans`. */
async function spawnTracedServer(): Promise<{ endpoint: string; spans: RemoteSpan[] }> {
  const fixture = join(import.meta.dirname, 'fixtures', 'traced-server.mjs');
  const child: ChildProcess = spawn(process.execPath, [fixture], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const spans: RemoteSpan[] = [];
  const endpoint = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as { endpoint?: string; span?: RemoteSpan };
      if (msg.endpoint) resolve(msg.endpoint);
      if (msg.span) spans.push(msg.span);
    });
    child.once('exit', (code) => reject(new Error(`traced server exited early (${code})`)));
  });
  return { endpoint, spans };
}

function remoteClient(endpoint: string) {
  const tracing = clientTracing();
  const client = createClient(Remote, {
    endpoints: [endpoint],
    transportOptions,
    waitForReady: true,
    timeoutMs: 20_000,
    interceptors: [tracing],
    listeners: [tracing.listener],
  });
  cleanups.push(() => client.close());
  return client;
}

function one<T extends { name: string; kind: SpanKind }>(
  spans: T[],
  name: string,
  kind: SpanKind,
): T {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${name}/${kind}, found ${found.length}`);
  return found[0] as T;
}

function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}

describe('across processes over ZeroMQ tcp', () => {
  it('links the client span to the server span of another process, with baggage', async () => {
    const otel = registerOtel();
    const { endpoint, spans } = await spawnTracedServer();
    const client = remoteClient(endpoint);
    const bag = propagation.createBaggage({ tenant: { value: 'acme' } });
    const res = await context.with(propagation.setBaggage(context.active(), bag), () =>
      client.hello({ name: 'ada' }),
    );
    expect(res).toEqual({ greeting: 'hi ada', tenant: 'acme' });

    const c = otel.span('fixture.Remote/hello', SpanKind.CLIENT);
    // The server span was exported in the child before it answered; its line may still be in the pipe.
    await expect.poll(() => spans.length, { timeout: 10_000 }).toBe(1);
    const s = one(spans, 'fixture.Remote/hello', SpanKind.SERVER);
    expect(s.traceId).toBe(c.spanContext().traceId);
    expect(s.parentSpanId).toBe(c.spanContext().spanId);
    expect(c.attributes).toEqual({
      'rpc.system.name': 'xsmb',
      'rpc.method': 'fixture.Remote/hello',
      'rpc.xsmb.kind': 'unary',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.status_code': 0,
      'server.address': '127.0.0.1',
      'server.port': portOf(endpoint),
      'network.transport': 'tcp',
      'network.type': 'ipv4',
    });
    expect(s.attributes).toEqual({ ...c.attributes });
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('makes a three-span chain that crosses processes twice', async () => {
    const otel = registerOtel();
    // Server B lives in this process; the child's relay handler calls it.
    const server = createServer({ transportOptions, interceptors: [serverTracing()] });
    server.add(Greeter, greeterImpl({ activeSpans: [], baggage: [] }));
    const [localEndpoint] = await server.listen('tcp://127.0.0.1:0');
    cleanups.push(() => server.close({ graceMs: 0 }));
    const { endpoint, spans } = await spawnTracedServer();
    const client = remoteClient(endpoint);

    await expect(client.relay({ name: 'bo', endpoint: localEndpoint as string })).resolves.toEqual({
      greeting: 'hi bo',
    });

    const c1 = otel.span('fixture.Remote/relay', SpanKind.CLIENT);
    const s2 = otel.span('test.Greeter/hello', SpanKind.SERVER);
    await expect.poll(() => spans.length, { timeout: 10_000 }).toBe(2);
    const s1 = one(spans, 'fixture.Remote/relay', SpanKind.SERVER);
    const c2 = one(spans, 'test.Greeter/hello', SpanKind.CLIENT);
    const traceId = c1.spanContext().traceId;
    expect([s1.traceId, c2.traceId, s2.spanContext().traceId]).toEqual([traceId, traceId, traceId]);
    expect(parentId(c1)).toBeUndefined();
    expect(s1.parentSpanId).toBe(c1.spanContext().spanId);
    expect(c2.parentSpanId).toBe(s1.spanId);
    expect(parentId(s2 as ReadableSpan)).toBe(c2.spanId);
    expect(c2.attributes['server.port']).toBe(portOf(localEndpoint as string));
  });

  it('counts a server stream on both sides and reports errors across processes', async () => {
    const otel: Otel = registerOtel();
    const { endpoint, spans } = await spawnTracedServer();
    const client = remoteClient(endpoint);
    let n = 0;
    for await (const m of client.count({ n: 500 })) {
      expect(m.i).toBe(n);
      n++;
    }
    expect(n).toBe(500);
    const c = otel.span('fixture.Remote/count', SpanKind.CLIENT);
    expect(c.attributes['rpc.xsmb.messages_received']).toBe(500);
    await expect.poll(() => spans.length, { timeout: 10_000 }).toBe(1);
    const s = one(spans, 'fixture.Remote/count', SpanKind.SERVER);
    expect(s.parentSpanId).toBe(c.spanContext().spanId);
    expect(s.attributes['rpc.xsmb.messages_sent']).toBe(500);

    // An unknown method never reaches the server's interceptors: only the client span records it.
    const Unknown = defineService('fixture.Remote', { missing: unary<null, null>() });
    const tracing = clientTracing();
    const unknown = createClient(Unknown, {
      endpoints: [endpoint],
      transportOptions,
      waitForReady: true,
      interceptors: [tracing],
    });
    cleanups.push(() => unknown.close());
    await expect(unknown.missing(null)).rejects.toMatchObject({ code: 12 });
    const u = otel.span('fixture.Remote/missing', SpanKind.CLIENT);
    expect(u.status.code).toBe(SpanStatusCode.ERROR);
    expect(u.attributes['error.type']).toBe('UNIMPLEMENTED');
  });
});
