import { createMemoryNetwork } from '@xsmb/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { clientCore, createClient } from './client.js';
import type { ClientCoreOptions } from './client-options.js';
import { Code } from './code.js';
import { createServer } from './server.js';
import { defineService } from './service.js';
import { unary } from './unary.js';

const Svc = defineService('test.Gate', {
  hold: unary<null, null>(),
  ping: unary<null, string>(),
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server whose `hold` calls wait until `release()`. */
async function setup(options: Partial<ClientCoreOptions>) {
  const net = createMemoryNetwork();
  const waiting: Array<() => void> = [];
  const server = createServer({ transport: net.server() });
  server.add(Svc, {
    hold: () => new Promise<null>((resolve) => waiting.push(() => resolve(null))),
    ping: () => 'pong',
  });
  const [endpoint] = await server.listen('memory://*');
  closers.push(() => server.close({ graceMs: 0 }));
  const client = createClient(Svc, {
    endpoints: [endpoint],
    transport: (e) => net.client(e),
    ...options,
  });
  closers.push(() => client.close());
  await client.ping(null);
  const core = clientCore(client);
  const release = () => {
    for (const done of waiting.splice(0)) done();
  };
  return { client, core, release, held: () => waiting.length };
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('client admission (maxInFlight)', () => {
  it('fails a call waiting for a slot at its deadline, and keeps the slot accounting right', async () => {
    const { client, core, release, held } = await setup({ maxInFlight: 1 });
    const first = client.hold(null);
    await until(() => held() === 1);
    await expect(client.ping(null, { timeoutMs: 30 })).rejects.toMatchObject({
      code: Code.DEADLINE_EXCEEDED,
      rawMessage: 'deadline exceeded waiting for an in-flight slot',
    });
    expect(core.stats().queued).toBe(0);
    release();
    await first;
    await expect(client.ping(null)).resolves.toBe('pong');
    expect(core.stats().inFlight).toBe(0);
  });

  it('fails a call waiting for a slot on abort, with the abort reason', async () => {
    const { client, core, release, held } = await setup({ maxInFlight: 1 });
    const first = client.hold(null);
    await until(() => held() === 1);
    const controller = new AbortController();
    const waiting = client.ping(null, { signal: controller.signal });
    await until(() => core.stats().queued === 1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: Code.CANCELLED });
    expect(core.stats().queued).toBe(0);
    release();
    await first;
    await expect(client.ping(null)).resolves.toBe('pong');
  });

  it('hands the slot to waiting calls in order, and refuses beyond maxQueuedCalls', async () => {
    const { client, core, release, held } = await setup({ maxInFlight: 1, maxQueuedCalls: 2 });
    const first = client.hold(null);
    await until(() => held() === 1);
    const order: string[] = [];
    const a = client.ping(null).then(() => order.push('a'));
    const b = client.ping(null).then(() => order.push('b'));
    await until(() => core.stats().queued === 2);
    await expect(client.ping(null)).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    release();
    await Promise.all([first, a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(core.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});
