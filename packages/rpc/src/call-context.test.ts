import { createMemoryNetwork } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallContext, ClientInterceptor, ClientRequest, ServerInterceptor } from './call.js';
import { Wire } from './call-wire.js';
import { createClient } from './client.js';
import { createContextKey, createContextValues } from './context-values.js';
import { observeMessages, unwrapObserved } from './observed-messages.js';
import { createServer, type Server } from './server.js';
import { defineService } from './service.js';
import { unary } from './unary.js';

const Svc = defineService('test.Ctx', {
  look: unary<null, { keys: string[]; user: string; writable: boolean }>(),
});

const kUser = createContextKey('nobody', { description: 'user' });
const kTag = createContextKey<string | undefined>(undefined);

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(server: ServerInterceptor[], client: ClientInterceptor[]) {
  const net = createMemoryNetwork();
  const s: Server = createServer({ transport: net.server(), interceptors: server });
  let seen: CallContext | undefined;
  s.add(Svc, {
    look(_, ctx) {
      seen = ctx;
      let writable = true;
      try {
        (ctx as { metadata: unknown }).metadata = {};
      } catch {
        writable = false;
      }
      return { keys: Object.keys(ctx), user: ctx.contextValues.get(kUser), writable };
    },
  });
  const [endpoint] = await s.listen('memory://*');
  closers.push(() => s.close({ graceMs: 0 }));
  const c = createClient(Svc, {
    endpoints: [endpoint],
    transport: (e) => net.client(e),
    interceptors: client,
  });
  closers.push(() => c.close());
  return { client: c, endpoint, seen: () => seen };
}

describe('the handler context', () => {
  it('is a read-only view without the engine record (no done, abandoned, early, onCancel)', async () => {
    const { client, seen } = await setup([], []);
    const res = await client.look(null);
    expect(res.writable).toBe(false);
    const ctx = seen() as CallContext & Record<string, unknown>;
    for (const hidden of ['done', 'abandoned', 'early', 'onCancel', 'respond', 'fail', 'core'])
      expect(ctx[hidden]).toBeUndefined();
    expect(ctx.path).toBe('test.Ctx/look');
    expect(typeof ctx.callId).toBe('number');
    expect(ctx.signal.aborted).toBe(false);
    expect(ctx.deadline).toBeGreaterThan(Date.now());
    expect(ctx.timeRemainingMs()).toBeGreaterThan(0);
  });

  it('carries the values server interceptors set (contextValues)', async () => {
    const auth: ServerInterceptor = (next) => (request) => {
      expect(request.contextValues).toBe(request.ctx.contextValues);
      request.contextValues.set(kUser, 'ada');
      return next(request);
    };
    const { client } = await setup([auth], []);
    await expect(client.look(null)).resolves.toMatchObject({ user: 'ada' });
  });
});

describe('client requests', () => {
  it('carry the caller’s contextValues and a wire that names the endpoint once sent', async () => {
    const endpoints: Array<string | undefined> = [];
    const tags: Array<string | undefined> = [];
    const spy: ClientInterceptor = (next) => async (request) => {
      tags.push(request.contextValues.get(kTag));
      endpoints.push(request.wire.endpoint);
      // A copy made with object spread shares the call's values and wire.
      const response = await next({ ...request, metadata: { ...request.metadata } });
      endpoints.push(request.wire.endpoint);
      return response;
    };
    const { client, endpoint } = await setup([], [spy]);
    const values = createContextValues().set(kTag, 'from-caller');
    await client.look(null, { contextValues: values });
    await client.look(null);
    expect(tags).toEqual(['from-caller', undefined]);
    expect(endpoints).toEqual([undefined, endpoint, undefined, endpoint]);
  });

  it('ServerRequest.wire names the endpoint the call came in on (one listener)', async () => {
    const wires: Array<string | undefined> = [];
    const { client, endpoint } = await setup(
      [
        (next) => (request) => {
          wires.push(request.wire.endpoint);
          return next(request);
        },
      ],
      [],
    );
    await client.look(null);
    expect(wires).toEqual([endpoint]);
  });
});

describe('ContextValues', () => {
  it('gets defaults, sets, deletes, per key', () => {
    const v = createContextValues();
    expect(v.get(kUser)).toBe('nobody');
    expect(v.set(kUser, 'x').get(kUser)).toBe('x');
    expect(v.get(kTag)).toBeUndefined();
    v.delete(kUser);
    expect(v.get(kUser)).toBe('nobody');
    const same = createContextKey('nobody', { description: 'user' });
    v.set(kUser, 'y');
    expect(v.get(same)).toBe('nobody');
  });
});

describe('observeMessages', () => {
  async function* three() {
    yield 1;
    yield 2;
    yield 3;
  }

  it('observes pulls when an inner step iterates it', async () => {
    const seen: number[] = [];
    const got: number[] = [];
    for await (const m of observeMessages(three(), (m) => seen.push(m))) got.push(m);
    expect(got).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('is taken off before the method kind, its observer moved to the wire', () => {
    const source = three();
    const seen: unknown[] = [];
    const wire = new Wire();
    const request = {
      messages: observeMessages(
        observeMessages(source, (m) => seen.push(`a${m}`)),
        (m) => seen.push(`b${m}`),
      ),
      wire,
    } as unknown as ClientRequest;
    unwrapObserved(request);
    expect(request.messages).toBe(source);
    wire.notify('out', 7);
    wire.notify('in', 8);
    expect(seen.sort()).toEqual(['a7', 'b7']);
  });
});
