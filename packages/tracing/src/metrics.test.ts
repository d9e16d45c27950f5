import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Code } from '@xsmb/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { Fixture, Greeter } from '../test/services.js';
import { histogram, PullReader, points, registerOtel, resetOtel } from '../test/support.js';
import { clientTracing } from './client-tracing.js';
import { DURATION_BUCKETS } from './semantic-conventions.js';
import { serverTracing } from './server-tracing.js';

let fx: Fixture;
afterEach(async () => {
  await fx.close();
  await resetOtel();
});

const base = { 'rpc.system.name': 'xsmb' };

/** `attributes → count` of a duration histogram, sorted, for exact comparison. */
function durationCounts(resource: Parameters<typeof points>[0], name: string): string[] {
  return points(resource, name)
    .map((p) => `${JSON.stringify(p.attributes)} → ${histogram(p).count}`)
    .sort();
}

describe('metrics', () => {
  it('records every call in the duration histograms with its method and outcome', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing()]);
    const client = fx.client(Greeter, endpoint, [clientTracing()]);
    for (let i = 0; i < 3; i++) await client.hello({ name: `n${i}` });
    await expect(client.fail({ how: 'not-found' })).rejects.toMatchObject({ code: Code.NOT_FOUND });
    await expect(client.fail({ how: 'plain' })).rejects.toMatchObject({ code: Code.INTERNAL });

    const resource = await otel.collect();
    const hello = { ...base, 'rpc.method': 'test.Greeter/hello' };
    const fail = { ...base, 'rpc.method': 'test.Greeter/fail' };
    expect(durationCounts(resource, 'rpc.client.call.duration')).toEqual(
      [
        `${JSON.stringify({ ...hello, 'rpc.response.status_code': 'OK' })} → 3`,
        `${JSON.stringify({ ...fail, 'rpc.response.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND' })} → 1`,
        `${JSON.stringify({ ...fail, 'rpc.response.status_code': 'INTERNAL', 'error.type': 'INTERNAL' })} → 1`,
      ].sort(),
    );
    // On the server a caller's mistake is not an error (no error.type), as on its span.
    expect(durationCounts(resource, 'rpc.server.call.duration')).toEqual(
      [
        `${JSON.stringify({ ...hello, 'rpc.response.status_code': 'OK' })} → 3`,
        `${JSON.stringify({ ...fail, 'rpc.response.status_code': 'NOT_FOUND' })} → 1`,
        `${JSON.stringify({ ...fail, 'rpc.response.status_code': 'INTERNAL', 'error.type': 'INTERNAL' })} → 1`,
      ].sort(),
    );
    const [point] = points(resource, 'rpc.client.call.duration');
    const h = histogram(point as never);
    expect(h.buckets.boundaries).toEqual(DURATION_BUCKETS);
    expect(h.min).toBeGreaterThan(0);
    // Seconds, not milliseconds: in-memory calls take far less than a second.
    expect(h.max).toBeLessThan(1);
    const descriptor = resource.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'rpc.client.call.duration')?.descriptor;
    expect(descriptor?.unit).toBe('s');
    expect(resource.scopeMetrics.map((s) => s.scope.name)).toEqual(['@xsmb/tracing']);
  });

  it('counts calls in flight while they run, across clients, and back to zero', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing()]);
    // Two clients with their own interceptor instances: their in-flight calls add up.
    const a = fx.client(Greeter, endpoint, [clientTracing()]);
    const b = fx.client(Greeter, endpoint, [clientTracing()]);
    const controller = new AbortController();
    const pending = [a, b].map((c) => c.slow({ ms: 60_000 }, { signal: controller.signal }));
    await expect.poll(() => fx.seen.activeSpans.length, { timeout: 10_000 }).toBe(2);
    const slow = { ...base, 'rpc.method': 'test.Greeter/slow' };
    const during = await otel.collect();
    const values = (resource: typeof during, name: string) =>
      points(resource, name).map((p) => [p.attributes, p.value]);
    expect(values(during, 'rpc.xsmb.client.active_calls')).toEqual([[slow, 2]]);
    expect(values(during, 'rpc.xsmb.server.active_calls')).toEqual([[slow, 2]]);
    controller.abort();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: Code.CANCELLED });
    await expect
      .poll(async () => values(await otel.collect(), 'rpc.xsmb.server.active_calls'), {
        timeout: 10_000,
      })
      .toEqual([[slow, 0]]);
    expect(values(await otel.collect(), 'rpc.xsmb.client.active_calls')).toEqual([[slow, 0]]);
  });

  it('counts stream messages per method and direction', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing()]);
    const client = fx.client(Greeter, endpoint, [clientTracing()]);
    const got: number[] = [];
    for await (const m of client.count({ n: 7 })) got.push(m.i);
    expect(got).toHaveLength(7);
    const up = client.sum(null);
    for (let v = 0; v < 5; v++) await up.send(v);
    await expect(up.close()).resolves.toEqual({ total: 10 });

    const resource = await otel.collect();
    const count = { ...base, 'rpc.method': 'test.Greeter/count' };
    const sum = { ...base, 'rpc.method': 'test.Greeter/sum' };
    const values = (name: string) => points(resource, name).map((p) => [p.attributes, p.value]);
    expect(values('rpc.xsmb.client.messages_received')).toEqual([[count, 7]]);
    expect(values('rpc.xsmb.server.messages_sent')).toEqual([[count, 7]]);
    expect(values('rpc.xsmb.client.messages_sent')).toEqual([[sum, 5]]);
    expect(values('rpc.xsmb.server.messages_received')).toEqual([[sum, 5]]);
  });

  it('records metrics without a tracer, into a given meter provider, or not at all', async () => {
    // Only metrics: spans do not record, metrics still do.
    const otel = registerOtel({ traces: false });
    const reader = new PullReader();
    const own = new MeterProvider({ readers: [reader] });
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing({ meterProvider: own })]);
    const client = fx.client(Greeter, endpoint, [clientTracing({ metrics: false })]);
    await client.hello({ name: 'x' });
    await client.hello({ name: 'y' });

    expect(otel.spans()).toEqual([]);
    // The client has metrics off, the server records into its own provider only.
    expect((await otel.collect()).scopeMetrics).toEqual([]);
    const { resourceMetrics } = await reader.collect();
    expect(durationCounts(resourceMetrics, 'rpc.server.call.duration')).toEqual([
      `${JSON.stringify({ ...base, 'rpc.method': 'test.Greeter/hello', 'rpc.response.status_code': 'OK' })} → 2`,
    ]);
    await own.shutdown();
  });
});
