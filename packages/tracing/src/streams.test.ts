import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Code, type RpcError, type ServiceClient } from '@xsmb/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { Fixture, Greeter } from '../test/services.js';
import { type Otel, parentId, registerOtel, resetOtel } from '../test/support.js';
import { clientTracing } from './client-tracing.js';
import { serverTracing } from './server-tracing.js';

let fx: Fixture;
afterEach(async () => {
  await fx.close();
  await resetOtel();
});

async function setup(): Promise<{ otel: Otel; client: ServiceClient<typeof Greeter> }> {
  const otel = registerOtel();
  fx = new Fixture();
  const endpoint = await fx.greeterServer([serverTracing()]);
  return { otel, client: fx.client(Greeter, endpoint, [clientTracing()]) };
}

describe('server streams', () => {
  it('count the messages on both spans and end the client span when the stream ends', async () => {
    const { otel, client } = await setup();
    const it = client.count({ n: 20 })[Symbol.asyncIterator]();
    for (let i = 0; i < 20; i++)
      await expect(it.next()).resolves.toEqual({ value: { i }, done: false });
    // All messages read, but the stream's end not yet seen: the client span is still open.
    expect(otel.spans().filter((s) => s.kind === SpanKind.CLIENT)).toEqual([]);
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });

    const c = otel.span('test.Greeter/count', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/count', SpanKind.SERVER);
    expect(s.spanContext().traceId).toBe(c.spanContext().traceId);
    expect(parentId(s)).toBe(c.spanContext().spanId);
    expect(c.attributes).toMatchObject({
      'rpc.method': 'test.Greeter/count',
      'rpc.xsmb.kind': 'server-stream',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.messages_sent': 0,
      'rpc.xsmb.messages_received': 20,
    });
    expect(s.attributes).toMatchObject({
      'rpc.xsmb.kind': 'server-stream',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.messages_sent': 20,
      'rpc.xsmb.messages_received': 0,
    });
    // The handler's generator body ran inside the server span at every step.
    const serverSpan = `${s.spanContext().traceId}/${s.spanContext().spanId}`;
    expect(fx.seen.activeSpans).toEqual(Array.from({ length: 20 }, () => serverSpan));
  });

  it('end both spans with the handler error and the count so far', async () => {
    const { otel, client } = await setup();
    const got: number[] = [];
    const err = await (async () => {
      for await (const m of client.count({ n: 10, failAt: 5 })) got.push(m.i);
    })().catch((e: unknown) => e as RpcError);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(err).toMatchObject({ code: Code.DATA_LOSS });
    const c = otel.span('test.Greeter/count', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/count', SpanKind.SERVER);
    expect(c.status).toEqual({ code: SpanStatusCode.ERROR, message: '[DATA_LOSS] lost it' });
    expect(c.attributes['rpc.xsmb.messages_received']).toBe(5);
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: '[DATA_LOSS] lost it' });
    expect(s.attributes['error.type']).toBe('DATA_LOSS');
    expect(s.attributes['rpc.xsmb.messages_sent']).toBe(5);
  });

  it('end the spans with CANCELLED when the client stops reading', async () => {
    const { otel, client } = await setup();
    let read = 0;
    for await (const m of client.forever(null)) {
      read++;
      if (m.i === 9) break;
    }
    expect(read).toBe(10);
    const c = otel.span('test.Greeter/forever', SpanKind.CLIENT);
    expect(c.attributes['rpc.response.status_code']).toBe('CANCELLED');
    expect(c.status.code).toBe(SpanStatusCode.ERROR);
    expect(c.attributes['rpc.xsmb.messages_received']).toBe(10);
    // The server span ends when the CANCEL reaches it and the generator is stopped.
    await expect
      .poll(() => otel.spans().filter((s) => s.kind === SpanKind.SERVER).length, {
        timeout: 10_000,
      })
      .toBe(1);
    const s = otel.span('test.Greeter/forever', SpanKind.SERVER);
    expect(s.attributes['rpc.response.status_code']).toBe('CANCELLED');
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
    // The server sent at least what the client read, at most one credit window more.
    const sent = s.attributes['rpc.xsmb.messages_sent'] as number;
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(sent).toBeLessThanOrEqual(10 + 4);
  });

  it('end the client span on cancel() even when the stream is never read', async () => {
    const { otel, client } = await setup();
    const call = client.forever(null);
    call.cancel();
    await expect(call.trailers).rejects.toMatchObject({ code: Code.CANCELLED });
    const c = otel.span('test.Greeter/forever', SpanKind.CLIENT);
    expect(c.attributes['rpc.response.status_code']).toBe('CANCELLED');
    expect(c.attributes['rpc.xsmb.messages_received']).toBe(0);
  });
});

describe('client streams', () => {
  it('count the messages sent and received', async () => {
    const { otel, client } = await setup();
    const up = client.sum(null);
    for (let v = 0; v < 30; v++) await up.send(v);
    await expect(up.close()).resolves.toEqual({ total: 435 });
    const c = otel.span('test.Greeter/sum', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/sum', SpanKind.SERVER);
    expect(parentId(s)).toBe(c.spanContext().spanId);
    expect(c.attributes).toMatchObject({
      'rpc.xsmb.kind': 'client-stream',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.messages_sent': 30,
      'rpc.xsmb.messages_received': 0,
    });
    expect(s.attributes).toMatchObject({
      'rpc.xsmb.kind': 'client-stream',
      'rpc.response.status_code': 'OK',
      'rpc.xsmb.messages_sent': 0,
      'rpc.xsmb.messages_received': 30,
    });
  });

  it('count messages an inner interceptor streams through its own iterable', async () => {
    const otel = registerOtel();
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing()]);
    const client = fx.client(Greeter, endpoint, [
      clientTracing(),
      // Doubles every message: the outer tracing counts what it was given, the server what arrived.
      (next) => async (request) => {
        const source = request.messages;
        if (source) {
          request.messages = (async function* () {
            for await (const m of source) {
              yield m;
              yield m;
            }
          })();
        }
        return next(request);
      },
    ]);
    const up = client.sum(null);
    for (let v = 1; v <= 5; v++) await up.send(v);
    await expect(up.close()).resolves.toEqual({ total: 30 });
    expect(
      otel.span('test.Greeter/sum', SpanKind.CLIENT).attributes['rpc.xsmb.messages_sent'],
    ).toBe(5);
    expect(
      otel.span('test.Greeter/sum', SpanKind.SERVER).attributes['rpc.xsmb.messages_received'],
    ).toBe(10);
  });
});

describe('client streams answered early', () => {
  it('fail the sends still waiting, as without tracing, instead of hanging them', async () => {
    const { otel, client } = await setup();
    const up = client.takeTwo(null);
    const outcomes: string[] = [];
    // Credit is 8 messages; the handler reads 2 and answers, so it grants no more: the send that
    // is waiting (or the next one) is refused once the answer arrives.
    for (let v = 0; v < 20; v++) {
      const outcome = await up.send(v).then(
        () => 'sent',
        (e: RpcError) => `rejected:${e.code}`,
      );
      outcomes.push(outcome);
      if (outcome !== 'sent') break;
    }
    // How many go out before the answer arrives depends on scheduling; never more than the credit.
    const sent = outcomes.length - 1;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(8);
    expect(outcomes).toEqual([...Array.from({ length: sent }, () => 'sent'), 'rejected:9']);
    await expect(up.result).resolves.toEqual({ total: 1 });
    const c = otel.span('test.Greeter/takeTwo', SpanKind.CLIENT);
    expect(c.attributes['rpc.response.status_code']).toBe('OK');
    expect(c.attributes['rpc.xsmb.messages_sent']).toBe(sent);
  });
});

describe('bidi streams', () => {
  it('count both directions on both sides', async () => {
    const { otel, client } = await setup();
    const call = client.echo(null);
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of call) got.push(m);
    })();
    for (let i = 0; i < 12; i++) await call.send(`m${i}`);
    call.close();
    await reading;
    expect(got).toEqual(Array.from({ length: 12 }, (_, i) => `echo:m${i}`));
    const c = otel.span('test.Greeter/echo', SpanKind.CLIENT);
    const s = otel.span('test.Greeter/echo', SpanKind.SERVER);
    expect(parentId(s)).toBe(c.spanContext().spanId);
    expect(c.attributes).toMatchObject({
      'rpc.xsmb.kind': 'bidi-stream',
      'rpc.xsmb.messages_sent': 12,
      'rpc.xsmb.messages_received': 12,
    });
    expect(s.attributes).toMatchObject({
      'rpc.xsmb.messages_sent': 12,
      'rpc.xsmb.messages_received': 12,
    });
  });
});

describe('several stream calls on one method', () => {
  // Stream kinds compose the server interceptor chain per call; each call must get its own span,
  // counts and handler state (an earlier @xsmb/stream reused the first call's).
  it('get a span and counts of their own', async () => {
    const { otel, client } = await setup();
    const results: number[] = [];
    for (const [base, n] of [
      [0, 3],
      [100, 5],
    ] as const) {
      const up = client.sum(null);
      for (let v = 0; v < n; v++) await up.send(base + v);
      results.push((await up.close()).total);
    }
    expect(results).toEqual([3, 510]);
    const received = otel
      .spans()
      .filter((s) => s.kind === SpanKind.SERVER)
      .map((s) => s.attributes['rpc.xsmb.messages_received']);
    expect(received).toEqual([3, 5]);
    const sent = otel
      .spans()
      .filter((s) => s.kind === SpanKind.CLIENT)
      .map((s) => s.attributes['rpc.xsmb.messages_sent']);
    expect(sent).toEqual([3, 5]);
    const traces = otel.spans().map((s) => s.spanContext().traceId);
    expect(new Set(traces).size).toBe(2);
  });
});
