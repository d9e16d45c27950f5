import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Code, createClient, HealthService, type RpcError } from '@xsmb/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { Fixture, Greeter, Relay } from '../test/services.js';
import { type Otel, parentId, registerOtel, resetOtel } from '../test/support.js';
import { clientTracing } from './client-tracing.js';
import { serverTracing } from './server-tracing.js';

let fx: Fixture;
afterEach(async () => {
  await fx.close();
  await resetOtel();
});

async function greeter(otelFirst = true) {
  const otel = otelFirst ? registerOtel() : undefined;
  fx = new Fixture();
  const endpoint = await fx.greeterServer([serverTracing()]);
  const tracing = clientTracing();
  const client = fx.client(Greeter, endpoint, [tracing], [tracing.listener]);
  return { otel: otel as Otel, client, endpoint };
}

const HEX32 = /^[0-9a-f]{32}$/;

describe('unary calls', () => {
  it('makes a client span and a server span of one trace, parent and child', async () => {
    const { otel, client, endpoint } = await greeter();
    const res = await client.hello({ name: 'ada' });
    expect(res.greeting).toBe('hi ada');

    expect(otel.spans()).toHaveLength(2);
    const c = otel.span('test.Greeter/hello', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/hello', SpanKind.SERVER);
    expect(c.spanContext().traceId).toMatch(HEX32);
    expect(s.spanContext().traceId).toBe(c.spanContext().traceId);
    expect(parentId(s)).toBe(c.spanContext().spanId);
    expect(s.parentSpanContext?.isRemote).toBe(true);
    expect(parentId(c)).toBeUndefined();
    // The server saw exactly the W3C header of the client span, sampled.
    expect(res.seen).toEqual({
      traceparent: `00-${c.spanContext().traceId}-${c.spanContext().spanId}-01`,
    });
    // The handler ran inside the server span.
    expect(fx.seen.activeSpans).toEqual([`${s.spanContext().traceId}/${s.spanContext().spanId}`]);

    expect(c.attributes).toEqual({
      'rpc.system.name': 'xsmb',
      'rpc.method': 'test.Greeter/hello',
      'rpc.xsmb.kind': 'unary',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.status_code': 0,
      'server.address': endpoint.slice('memory://'.length),
      'network.transport': 'memory',
    });
    expect(s.attributes).toEqual({
      'rpc.system.name': 'xsmb',
      'rpc.method': 'test.Greeter/hello',
      'rpc.xsmb.kind': 'unary',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.status_code': 0,
      'server.address': endpoint.slice('memory://'.length),
      'network.transport': 'memory',
    });
    expect(c.status.code).toBe(SpanStatusCode.UNSET);
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
    expect(c.instrumentationScope.name).toBe('@xsmb/tracing');
    expect(c.instrumentationScope.version).toMatch(/^\d+\.\d+\.\d+/);
    // The server span lies within the client span.
    expect(c.startTime <= s.startTime || c.startTime[0] <= s.startTime[0]).toBe(true);
    expect(s.ended && c.ended).toBe(true);
  });

  it('makes the client span a child of the active span', async () => {
    const { otel, client } = await greeter();
    const tracer = trace.getTracer('test');
    await tracer.startActiveSpan('outer', async (outer) => {
      await client.hello({ name: 'x' });
      outer.end();
    });
    const outer = otel.span('outer', SpanKind.INTERNAL);
    const c = otel.span('test.Greeter/hello', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/hello', SpanKind.SERVER);
    expect(c.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(s.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(parentId(c)).toBe(outer.spanContext().spanId);
    expect(parentId(s)).toBe(c.spanContext().spanId);
  });

  it('continues a remote parent, carrying its tracestate', async () => {
    const { otel, client } = await greeter();
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const remote = new W3CTraceContextPropagator().extract(
      ROOT_CONTEXT,
      { traceparent: `00-${traceId}-b7ad6b7169203331-01`, tracestate: 'vendor=abc' },
      { get: (c, k) => c[k as 'traceparent' | 'tracestate'], keys: (c) => Object.keys(c) },
    );
    const res = await context.with(remote, () => client.hello({ name: 'x' }));
    const c = otel.span('test.Greeter/hello', SpanKind.CLIENT);
    expect(c.spanContext().traceId).toBe(traceId);
    expect(parentId(c)).toBe('b7ad6b7169203331');
    expect(res.seen).toEqual({
      traceparent: `00-${traceId}-${c.spanContext().spanId}-01`,
      tracestate: 'vendor=abc',
    });
  });
});

describe('a service that calls another service', () => {
  for (const explicitParent of [false, true]) {
    it(`makes a three-span chain${explicitParent ? ' (with parent: ctx)' : ''}`, async () => {
      const otel = registerOtel();
      fx = new Fixture();
      const greeterEndpoint = await fx.greeterServer([serverTracing()]);
      const downstream = fx.client(Greeter, greeterEndpoint, [clientTracing()]);
      const relayEndpoint = await fx.relayServer([serverTracing()], downstream);
      const relay = fx.client(Relay, relayEndpoint, [clientTracing()]);

      await expect(relay.relay({ name: 'bo', explicitParent })).resolves.toEqual({
        greeting: 'hi bo',
      });
      expect(otel.spans()).toHaveLength(4);
      const c1 = otel.span('test.Relay/relay', SpanKind.CLIENT);
      const s1 = otel.span('test.Relay/relay', SpanKind.SERVER);
      const c2 = otel.span('test.Greeter/hello', SpanKind.CLIENT);
      const s2 = otel.span('test.Greeter/hello', SpanKind.SERVER);
      const traceId = c1.spanContext().traceId;
      for (const s of [s1, c2, s2]) expect(s.spanContext().traceId).toBe(traceId);
      expect(parentId(c1)).toBeUndefined();
      expect(parentId(s1)).toBe(c1.spanContext().spanId);
      expect(parentId(c2)).toBe(s1.spanContext().spanId);
      expect(parentId(s2)).toBe(c2.spanContext().spanId);
      // Spans end inside out.
      expect(otel.spans().map((s) => `${s.name}:${s.kind}`)).toEqual([
        `test.Greeter/hello:${SpanKind.SERVER}`,
        `test.Greeter/hello:${SpanKind.CLIENT}`,
        `test.Relay/relay:${SpanKind.SERVER}`,
        `test.Relay/relay:${SpanKind.CLIENT}`,
      ]);
    });
  }

  it('keeps concurrent chains apart', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const greeterEndpoint = await fx.greeterServer([serverTracing()]);
    const downstream = fx.client(Greeter, greeterEndpoint, [clientTracing()]);
    const relayEndpoint = await fx.relayServer([serverTracing()], downstream);
    const relay = fx.client(Relay, relayEndpoint, [clientTracing()]);
    await Promise.all(Array.from({ length: 50 }, (_, i) => relay.relay({ name: `n${i}` })));
    const spans = otel.spans();
    expect(spans).toHaveLength(200);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const roots = spans.filter((s) => parentId(s) === undefined);
    expect(roots).toHaveLength(50);
    expect(new Set(roots.map((s) => s.spanContext().traceId)).size).toBe(50);
    // Every span's parent is in the same trace, and each trace has exactly 4 spans.
    for (const s of spans) {
      const p = parentId(s);
      if (p !== undefined) {
        expect(byId.get(p)?.spanContext().traceId).toBe(s.spanContext().traceId);
      }
    }
    const perTrace = new Map<string, number>();
    for (const s of spans) {
      const id = s.spanContext().traceId;
      perTrace.set(id, (perTrace.get(id) ?? 0) + 1);
    }
    expect([...perTrace.values()].every((n) => n === 4)).toBe(true);
  });
});

describe('errors', () => {
  it('marks a client span ERROR with the code; a caller mistake leaves the server span unset', async () => {
    const { otel, client } = await greeter();
    const err = (await client.fail({ how: 'not-found' }).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Code.NOT_FOUND);
    const c = otel.span('test.Greeter/fail', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/fail', SpanKind.SERVER);
    expect(c.status).toEqual({ code: SpanStatusCode.ERROR, message: '[NOT_FOUND] no such thing' });
    expect(c.attributes['rpc.response.status_code']).toBe('NOT_FOUND');
    expect(c.attributes['rpc.xsmb.status_code']).toBe(5);
    expect(c.attributes['error.type']).toBe('NOT_FOUND');
    expect(c.events.map((e) => e.name)).toEqual(['exception']);
    expect(c.events[0]?.attributes?.['exception.type']).toBe('RpcError');
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
    expect(s.attributes['rpc.response.status_code']).toBe('NOT_FOUND');
    expect(s.attributes['rpc.xsmb.status_code']).toBe(5);
    expect(s.attributes['error.type']).toBeUndefined();
    expect(s.events).toEqual([]);
  });

  it('marks both spans ERROR on a server failure and records the handler exception', async () => {
    const { otel, client } = await greeter();
    const err = (await client.fail({ how: 'plain' }).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Code.INTERNAL);
    const c = otel.span('test.Greeter/fail', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/fail', SpanKind.SERVER);
    expect(c.status).toEqual({ code: SpanStatusCode.ERROR, message: '[INTERNAL] internal error' });
    expect(c.attributes['error.type']).toBe('INTERNAL');
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: '[INTERNAL] handler bug' });
    expect(s.attributes['rpc.response.status_code']).toBe('INTERNAL');
    expect(s.attributes['rpc.xsmb.status_code']).toBe(13);
    expect(s.attributes['error.type']).toBe('INTERNAL');
    // The server span keeps the handler's own error (type and message), which the client never sees.
    expect(s.events.map((e) => e.name)).toEqual(['exception']);
    expect(s.events[0]?.attributes?.['exception.type']).toBe('TypeError');
    expect(s.events[0]?.attributes?.['exception.message']).toBe('handler bug');
  });

  it('records UNAVAILABLE from the handler as a failure on both sides', async () => {
    const { otel, client } = await greeter();
    await expect(client.fail({ how: 'down' })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    const s = otel.span('test.Greeter/fail', SpanKind.SERVER);
    expect(s.status.code).toBe(SpanStatusCode.ERROR);
    expect(s.attributes['error.type']).toBe('UNAVAILABLE');
  });

  it('records DEADLINE_EXCEEDED on the client and on the server call it abandons', async () => {
    const { otel, client } = await greeter();
    // No fault injection: the client sends no CANCEL at its deadline, the server expires the call itself.
    await expect(client.slow({ ms: 60_000 }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
    });
    const c = otel.span('test.Greeter/slow', SpanKind.CLIENT);
    expect(c.attributes['rpc.response.status_code']).toBe('DEADLINE_EXCEEDED');
    expect(c.status.code).toBe(SpanStatusCode.ERROR);
    // The handler returns once its signal aborts at the server's deadline; its span ends then.
    await expect.poll(() => otel.spans().length, { timeout: 10_000 }).toBe(2);
    const s = otel.span('test.Greeter/slow', SpanKind.SERVER);
    expect(s.attributes['rpc.response.status_code']).toBe('DEADLINE_EXCEEDED');
    expect(s.attributes['error.type']).toBe('DEADLINE_EXCEEDED');
    expect(s.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('records a client cancel as CANCELLED on both sides (an error only for the client)', async () => {
    const { otel, client } = await greeter();
    const controller = new AbortController();
    const pending = client.slow({ ms: 60_000 }, { signal: controller.signal });
    // Abort once the handler runs, so the server has a span to end.
    await expect.poll(() => fx.seen.activeSpans.length, { timeout: 10_000 }).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: Code.CANCELLED });
    const c = otel.span('test.Greeter/slow', SpanKind.CLIENT);
    expect(c.attributes['rpc.response.status_code']).toBe('CANCELLED');
    expect(c.status.code).toBe(SpanStatusCode.ERROR);
    await expect.poll(() => otel.spans().length, { timeout: 10_000 }).toBe(2);
    const s = otel.span('test.Greeter/slow', SpanKind.SERVER);
    expect(s.attributes['rpc.response.status_code']).toBe('CANCELLED');
    expect(s.attributes['error.type']).toBeUndefined();
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('baggage', () => {
  it('crosses the boundary and reaches the handler and the next hop', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const greeterEndpoint = await fx.greeterServer([serverTracing()]);
    const downstream = fx.client(Greeter, greeterEndpoint, [clientTracing()]);
    const relayEndpoint = await fx.relayServer([serverTracing()], downstream);
    const relay = fx.client(Relay, relayEndpoint, [clientTracing()]);
    const greeterClient = fx.client(Greeter, greeterEndpoint, [clientTracing()]);

    const bag = propagation.createBaggage({
      tenant: { value: 'acme' },
      'user.id': { value: '42' },
    });
    const res = await context.with(propagation.setBaggage(context.active(), bag), () =>
      greeterClient.hello({ name: 'x' }),
    );
    expect(res.seen.baggage).toBe('tenant=acme,user.id=42');
    expect(fx.seen.baggage).toEqual(['tenant=acme', 'user.id=42']);

    // Two hops: client → relay server → client → greeter server.
    fx.seen.baggage.length = 0;
    await context.with(propagation.setBaggage(context.active(), bag), () =>
      relay.relay({ name: 'y' }),
    );
    expect(fx.seen.baggage).toEqual(['tenant=acme', 'user.id=42']);
    expect(otel.spans()).toHaveLength(6);
  });
});

describe('options', () => {
  it('skips the health check by default and methods a filter refuses', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const seenByFilter: string[] = [];
    const endpoint = await fx.greeterServer([serverTracing()]);
    const health = createClient(HealthService, {
      endpoints: [endpoint],
      transport: (e) => fx.net.client(e),
      interceptors: [clientTracing()],
    });
    await expect(health.check({})).resolves.toEqual({ status: 'SERVING' });
    await health.close();
    expect(otel.spans()).toEqual([]);

    const client = fx.client(Greeter, endpoint, [
      clientTracing({
        filter: (m) => {
          seenByFilter.push(`${m.path}:${m.kind}:${m.service}:${m.method}`);
          return m.method !== 'hello';
        },
      }),
    ]);
    const res = await client.hello({ name: 'x' });
    await client.hello({ name: 'y' });
    // Not traced on the client: nothing injected, so the server span is a root of its own.
    expect(res.seen).toEqual({});
    expect(otel.spans().map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.SERVER]);
    await expect(client.fail({ how: 'down' })).rejects.toMatchObject({ code: 14 });
    expect(otel.spans().filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(1);
    // Asked once per method.
    expect(seenByFilter).toEqual([
      'test.Greeter/hello:unary:test.Greeter:hello',
      'test.Greeter/fail:unary:test.Greeter:fail',
    ]);
  });

  it('uses a given tracer provider and propagator instead of the globals', async () => {
    // Globals: only a context manager, so nothing global records or propagates.
    registerOtel({ traces: false, propagators: false, metrics: false });
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const injected: string[] = [];
    const w3c = new W3CTraceContextPropagator();
    const propagator: TextMapPropagator = {
      inject(ctx, carrier, setter) {
        injected.push('inject');
        w3c.inject(ctx, carrier, setter);
      },
      extract(ctx, carrier, getter) {
        injected.push('extract');
        return w3c.extract(ctx, carrier, getter);
      },
      fields: () => w3c.fields(),
    };
    fx = new Fixture();
    const endpoint = await fx.greeterServer([
      serverTracing({ tracerProvider: provider, propagator }),
    ]);
    const client = fx.client(Greeter, endpoint, [
      clientTracing({ tracerProvider: provider, propagator }),
    ]);
    await client.hello({ name: 'x' });
    expect(injected).toEqual(['inject', 'extract']);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);
    expect(parentId(spans[0] as never)).toBe(spans[1]?.spanContext().spanId);
    await provider.shutdown();
  });

  it('lower-cases the keys a propagator writes (xSMB refuses upper-case metadata keys)', async () => {
    registerOtel({ propagators: false });
    const upper: TextMapPropagator = {
      inject(ctx, carrier, setter) {
        const sc = trace.getSpanContext(ctx);
        if (sc) setter.set(carrier, 'X-Trace-Id', sc.traceId);
      },
      extract: (ctx) => ctx,
      fields: () => ['X-Trace-Id'],
    };
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing({ propagator: upper })]);
    const client = fx.client(Greeter, endpoint, [clientTracing({ propagator: upper })]);
    const res = await client.hello({ name: 'x' });
    expect(Object.keys(res.seen)).toEqual(['x-trace-id']);
    expect(res.seen['x-trace-id']).toMatch(HEX32);
  });

  it('records an rpc.message event per stream message with recordMessages: events', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing({ recordMessages: 'events' })]);
    const client = fx.client(Greeter, endpoint, [clientTracing({ recordMessages: 'events' })]);
    const got: number[] = [];
    for await (const m of client.count({ n: 3 })) got.push(m.i);
    expect(got).toEqual([0, 1, 2]);
    const c = otel.span('test.Greeter/count', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/count', SpanKind.SERVER);
    const describe = (e: { name: string; attributes?: Record<string, unknown> }) =>
      `${e.name}:${e.attributes?.['rpc.message.type']}:${e.attributes?.['rpc.message.id']}`;
    expect(c.events.map(describe)).toEqual([
      'rpc.message:RECEIVED:1',
      'rpc.message:RECEIVED:2',
      'rpc.message:RECEIVED:3',
    ]);
    expect(s.events.map(describe)).toEqual([
      'rpc.message:SENT:1',
      'rpc.message:SENT:2',
      'rpc.message:SENT:3',
    ]);
  });

  it('picks up an SDK registered after the interceptors were created', async () => {
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing()]);
    const client = fx.client(Greeter, endpoint, [clientTracing()]);
    await client.hello({ name: 'before' });
    const otel = registerOtel();
    await client.hello({ name: 'after' });
    expect(otel.spans().map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.CLIENT]);
  });
});
