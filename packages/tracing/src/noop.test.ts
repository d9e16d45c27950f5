import { context, propagation, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  type CallContext,
  type ClientRequest,
  type ClientResponse,
  createContextValues,
  type ServerRequest,
  type ServerResponse,
} from '@xsmb/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { Fixture, Greeter, Relay } from '../test/services.js';
import { resetOtel } from '../test/support.js';
import { clientTracing } from './client-tracing.js';
import { serverTracing } from './server-tracing.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  await resetOtel();
});

function clientRequest(metadata: Record<string, string> = {}): ClientRequest {
  return {
    kind: 'unary',
    service: 'test.Greeter',
    method: 'hello',
    path: 'test.Greeter/hello',
    descriptor: Greeter.methods.hello,
    message: { name: 'x' },
    metadata,
    timeoutMs: 1000,
    signal: undefined,
    waitForReady: false,
    contextValues: createContextValues(),
    wire: { endpoint: undefined, observe() {} },
  };
}

function serverRequest(metadata: Record<string, string> = {}): ServerRequest {
  const contextValues = createContextValues();
  const ctx: CallContext = {
    service: 'test.Greeter',
    method: 'hello',
    path: 'test.Greeter/hello',
    metadata,
    trailers: {},
    deadline: Number.POSITIVE_INFINITY,
    signal: new AbortController().signal,
    peer: 'peer-1',
    callId: 1,
    contextValues,
    timeRemainingMs: () => Number.POSITIVE_INFINITY,
  };
  return {
    kind: 'unary',
    service: 'test.Greeter',
    method: 'hello',
    path: 'test.Greeter/hello',
    descriptor: Greeter.methods.hello,
    message: { name: 'x' },
    ctx,
    contextValues,
    wire: { endpoint: undefined, observe() {} },
  };
}

describe('with no OpenTelemetry SDK registered', () => {
  it('the interceptors hand the call straight on: same request, same metadata, same promise', () => {
    const response: Promise<ClientResponse> = Promise.resolve({ stream: false, trailers: {} });
    const seen: ClientRequest[] = [];
    const request = clientRequest({ 'x-user': '1' });
    const out = clientTracing()((r) => {
      seen.push(r);
      return response;
    })(request);
    expect(out).toBe(response);
    expect(seen).toEqual([request]);
    expect(seen[0]).toBe(request);
    expect(request.metadata).toEqual({ 'x-user': '1' });

    const served: Promise<ServerResponse> = Promise.resolve({ stream: false, message: 1 });
    const incoming = serverRequest({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const handled: ServerRequest[] = [];
    const result = serverTracing()((r) => {
      handled.push(r);
      // No context manager: nothing is active, whatever came in.
      expect(trace.getActiveSpan()).toBeUndefined();
      return served;
    })(incoming);
    expect(result).toBe(served);
    expect(handled[0]).toBe(incoming);
  });

  it('calls and streams work and carry no metadata of their own', async () => {
    fx = new Fixture();
    const endpoint = await fx.greeterServer([serverTracing()]);
    const client = fx.client(Greeter, endpoint, [clientTracing()]);
    const res = await client.hello({ name: 'ada' }, { metadata: { 'x-user': '1' } });
    expect(res).toEqual({ greeting: 'hi ada', seen: { 'x-user': '1' } });
    expect(fx.seen.activeSpans).toEqual(['none']);
    const got: number[] = [];
    for await (const m of client.count({ n: 3 })) got.push(m.i);
    expect(got).toEqual([0, 1, 2]);
    expect(fx.seen.activeSpans).toEqual(['none', 'none', 'none', 'none']);
    const up = client.sum(null);
    for (let v = 0; v < 4; v++) await up.send(v);
    await expect(up.close()).resolves.toEqual({ total: 6 });
    await expect(client.fail({ how: 'not-found' })).rejects.toMatchObject({ code: 5 });
  });

  it('with only the API set up (propagator, context), passes a remote context on unchanged', async () => {
    // The API's documented behaviour without an SDK: no spans, but the incoming span context
    // travels through the service to the next hop (a "pass-through" service).
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    fx = new Fixture();
    const greeterEndpoint = await fx.greeterServer([serverTracing()]);
    const downstream = fx.client(Greeter, greeterEndpoint, [clientTracing()]);
    const relayEndpoint = await fx.relayServer([serverTracing()], downstream);
    const relay = fx.client(Relay, relayEndpoint, [clientTracing()]);
    const direct = fx.client(Greeter, greeterEndpoint, [clientTracing()]);

    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const res = await context.with(remote, () => direct.hello({ name: 'x' }));
    expect(res.seen).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
    // The handler ran with the remote span context active (a non-recording span).
    expect(fx.seen.activeSpans).toEqual([`${traceId}/${spanId}`]);

    // Through a relay: the second hop sees the very same traceparent.
    await context.with(remote, () => relay.relay({ name: 'y' }));
    expect(fx.seen.activeSpans).toEqual([`${traceId}/${spanId}`, `${traceId}/${spanId}`]);

    // Without an incoming context there is nothing to pass on.
    const plain = await direct.hello({ name: 'z' });
    expect(plain.seen).toEqual({});
  });
});
