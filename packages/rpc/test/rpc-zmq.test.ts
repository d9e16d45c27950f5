import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  Code,
  createClient,
  createServer,
  defineService,
  RpcError,
  type Server,
  unary,
} from '../src/index.js';

const Svc = defineService('fixture.Svc', {
  echo: unary<{ i: number; pad?: string }, { i: number; pad?: string }>(),
  slow: unary<{ ms: number }, { done: boolean }>(),
});

const fast = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1000 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startServer(name = 'local'): Server {
  const server = createServer({ transportOptions: fast });
  const served = { name, count: 0 };
  server.add(Svc, {
    echo: (req) => {
      served.count++;
      return req;
    },
    slow: (req, ctx) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ done: true }), req.ms);
        ctx.signal.addEventListener('abort', () => clearTimeout(timer));
      }),
  });
  cleanups.push(() => server.close({ graceMs: 0 }));
  return server;
}

function client(
  endpoints: string[],
  options: Parameters<typeof createClient>[1] extends infer O ? Partial<O> : never = {},
) {
  const c = createClient(Svc, { endpoints, transportOptions: fast, ...options });
  cleanups.push(() => c.close());
  return c;
}

async function spawnServer(endpoint?: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const fixture = join(import.meta.dirname, 'fixtures', 'server.mjs');
  const child = spawn(process.execPath, endpoint ? [fixture, endpoint] : [fixture], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
  return { child, endpoint: (JSON.parse(line) as { endpoint: string }).endpoint };
}

describe('rpc over ZeroMQ', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xsmb-rpc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const proto of ['tcp', 'ipc', 'inproc'] as const) {
    it(`round-trips typed calls over ${proto}`, async () => {
      const server = startServer();
      const address =
        proto === 'tcp'
          ? 'tcp://127.0.0.1:0'
          : proto === 'ipc'
            ? `ipc://${join(dir, `rpc-${Date.now()}.sock`)}`
            : `inproc://rpc-${Math.random().toString(36).slice(2)}`;
      const [endpoint] = await server.listen(address);
      if (proto === 'tcp') expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      const c = client([endpoint as string]);
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => c.echo({ i })));
      expect(results.map((r) => r.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    });
  }

  it('settles 10,000 concurrent calls', async () => {
    const server = startServer();
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    const c = client([endpoint as string]);
    const results = await Promise.allSettled(
      Array.from({ length: 10_000 }, (_, i) =>
        c.echo({ i, pad: 'x'.repeat(150) }, { timeoutMs: 120_000 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10_000);
    expect((results[1234] as PromiseFulfilledResult<{ i: number }>).value.i).toBe(1234);
  });

  it('spreads load across two servers', async () => {
    const a = startServer('a');
    const b = startServer('b');
    const [ea] = await a.listen('tcp://127.0.0.1:0');
    const [eb] = await b.listen('tcp://127.0.0.1:0');
    const c = client([ea as string, eb as string], {
      loadBalancing: 'round-robin',
      waitForReady: true,
    });
    // Wait until both connections are up so round robin sees both.
    await Promise.all([c.echo({ i: -1 }), c.echo({ i: -2 })]);
    await expect
      .poll(() => a.stats().started > 0 || b.stats().started > 0, { timeout: 10_000 })
      .toBe(true);
    const { clientCore } = await import('../src/client.js');
    await expect
      .poll(
        () =>
          clientCore(c)
            .endpoints()
            .every((e) => e.state === 'ready'),
        { timeout: 10_000 },
      )
      .toBe(true);
    const before = [a.stats().started, b.stats().started];
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.echo({ i })));
    const delta = [
      a.stats().started - (before[0] as number),
      b.stats().started - (before[1] as number),
    ];
    expect((delta[0] as number) + (delta[1] as number)).toBe(200);
    expect(delta[0]).toBe(100);
    expect(delta[1]).toBe(100);
  });

  it('fails an in-flight call with UNAVAILABLE well before its deadline when the server is killed', async () => {
    const { child, endpoint } = await spawnServer();
    const c = client([endpoint]);
    await expect(c.echo({ i: 1 })).resolves.toEqual({ i: 1 });
    const pending = c.slow({ ms: 60_000 }, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    // The request must have reached the server before the kill; the echo after it proves the pipe is live.
    await c.echo({ i: 2 });
    const killedAt = performance.now();
    child.kill('SIGKILL');
    const err = (await pending) as RpcError;
    const elapsed = performance.now() - killedAt;
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(Code.UNAVAILABLE);
    expect(elapsed).toBeLessThan(5_000);
    // New calls fail fast while no server is up.
    await expect(c.echo({ i: 3 })).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    // A server restarted on the same port is used again.
    await spawnServer(endpoint);
    await expect(c.echo({ i: 4 }, { waitForReady: true, timeoutMs: 20_000 })).resolves.toEqual({
      i: 4,
    });
  });

  it('shuts down gracefully: in-flight calls complete, new calls are refused', async () => {
    const server = startServer();
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    const c = client([endpoint as string]);
    await c.echo({ i: 0 });
    const inflight = Array.from({ length: 20 }, () => c.slow({ ms: 200 }, { timeoutMs: 20_000 }));
    await expect.poll(() => server.stats().active, { timeout: 10_000 }).toBe(20);
    const closing = server.close({ graceMs: 10_000 });
    const refused = await c.echo({ i: 1 }).catch((e: unknown) => e);
    expect((refused as RpcError).code).toBe(Code.UNAVAILABLE);
    await expect(Promise.all(inflight)).resolves.toHaveLength(20);
    await closing;
  });
});
