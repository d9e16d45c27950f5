import { fork } from 'node:child_process';
import type * as net from 'node:net';
import { Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { createDealer, createRouter, createXPub, type ZmtpError } from '../src/index.js';
import { closed, fdCount, greeting, rawConnect, ready } from './helpers.js';

const res = new Resources();
afterEach(() => res.closeAll());

async function echoRouter(opts: Parameters<typeof createRouter>[0] = {}) {
  const router = res.add(createRouter(opts));
  router.onMessage = (id, f) => router.send(id, f);
  const ep = await router.bind('tcp://127.0.0.1:0');
  return { router, ep };
}

async function roundTrip(ep: string): Promise<void> {
  const got: string[] = [];
  const d = createDealer({ onMessage: (f) => got.push(Buffer.from(f[0]!).toString()) });
  try {
    d.connect(ep);
    d.send([Buffer.from('ok')]);
    await waitFor(() => got.length === 1, 'round trip');
    expect(got).toEqual(['ok']);
  } finally {
    await d.close();
  }
}

function track(s: net.Socket): net.Socket {
  res.defer(() => s.destroy());
  return s;
}

describe('endpoints and binding', () => {
  it('rejects bad endpoints at once and maps EADDRINUSE', async () => {
    const d = res.add(createDealer());
    for (const bad of [
      'tcp://127.0.0.1:70000',
      'tcp://nohost',
      'udp://1.2.3.4:5',
      'tcp://127.0.0.1:0',
      '',
    ]) {
      expect(() => d.connect(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ENDPOINT' }));
    }
    const r = res.add(createRouter());
    const ep = await r.bind('tcp://127.0.0.1:*');
    const r2 = res.add(createRouter());
    await expect(r2.bind(ep)).rejects.toMatchObject({ code: 'ADDRESS_IN_USE' });
    await expect(r2.bind('tcp://127.0.0.1:99999')).rejects.toMatchObject({
      code: 'INVALID_ENDPOINT',
    });
  });
  it('ipc: a live socket file is ADDRESS_IN_USE, a stale one is taken over', async () => {
    const { existsSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/zmtp-`);
    const r1 = res.add(createRouter());
    const ep = await r1.bind(`ipc://${dir}/a.sock`);
    await expect(res.add(createRouter()).bind(ep)).rejects.toMatchObject({
      code: 'ADDRESS_IN_USE',
    });
    // A stale Unix socket file: bound and closed by a process that did not unlink it (as a crash leaves it).
    const stale = `${dir}/b.sock`;
    const { execFileSync } = await import('node:child_process');
    execFileSync('python3', [
      '-c',
      `import socket;s=socket.socket(socket.AF_UNIX);s.bind(${JSON.stringify(stale)});s.listen();s.close()`,
    ]);
    expect(existsSync(stale)).toBe(true);
    const r3 = res.add(createRouter({ onMessage: (id, f) => r3.send(id, f) }));
    await r3.bind(`ipc://${stale}`);
    const got: string[] = [];
    const d = res.add(createDealer({ onMessage: (f) => got.push(Buffer.from(f[0]!).toString()) }));
    d.connect(`ipc://${stale}`);
    d.send([Buffer.from('x')]);
    await waitFor(() => got.length === 1, 'echo over the reclaimed path');
  });
});

describe('hostile peers', () => {
  it('garbage greeting is dropped at once, counted, others unaffected', async () => {
    const { router, ep } = await echoRouter();
    const failures: ZmtpError[] = [];
    router.on('handshakeFailed', (_e, err) => failures.push(err));
    const s = track(await rawConnect(ep));
    s.on('error', () => {});
    s.write('GET / HTTP/1.1\r\n\r\n');
    await within(closed(s), 10_000, 'garbage peer dropped');
    await waitFor(() => failures.length === 1, 'handshakeFailed');
    expect(failures[0]!.code).toBe('PROTOCOL');
    await roundTrip(ep);
  });

  it('wrong mechanism name fails with MECHANISM', async () => {
    const { router, ep } = await echoRouter();
    const failures: ZmtpError[] = [];
    router.on('handshakeFailed', (_e, err) => failures.push(err));
    const s = track(await rawConnect(ep));
    s.on('error', () => {});
    s.write(greeting(1, 'PLAIN'));
    await within(closed(s), 10_000, 'peer dropped');
    await waitFor(() => failures.length === 1, 'handshakeFailed');
    expect(failures[0]!.code).toBe('MECHANISM');
  });

  it('a declared 8 GiB frame disconnects the peer without allocating', async () => {
    const { router, ep } = await echoRouter({ maxMessageBytes: 1 << 20 });
    const reasons: string[] = [];
    router.on('disconnect', (_p, reason, err) => reasons.push(`${reason}:${err?.code}`));
    const s = track(await rawConnect(ep));
    s.on('error', () => {});
    s.write(Buffer.concat([greeting(), ready('DEALER'), Buffer.from([2, 0, 0, 0, 2, 0, 0, 0, 0])]));
    await within(closed(s), 10_000, 'peer dropped');
    await waitFor(() => reasons.length === 1, 'disconnect');
    expect(reasons).toEqual(['protocol:TOO_LARGE']);
  });

  it('a message over maxMessageBytes across frames disconnects', async () => {
    const { router, ep } = await echoRouter({ maxMessageBytes: 1000 });
    const reasons: string[] = [];
    router.on('disconnect', (_p, reason, err) => reasons.push(`${reason}:${err?.code}`));
    const s = track(await rawConnect(ep));
    s.on('error', () => {});
    const part = Buffer.concat([Buffer.from([1, 200]), Buffer.alloc(200)]);
    s.write(Buffer.concat([greeting(), ready('DEALER'), part, part, part, part, part, part]));
    await within(closed(s), 10_000, 'peer dropped');
    await waitFor(() => reasons.length === 1, 'disconnect');
    expect(reasons).toEqual(['protocol:TOO_LARGE']);
  });

  it('incompatible socket type is refused', async () => {
    const { router, ep } = await echoRouter();
    const failures: ZmtpError[] = [];
    router.on('handshakeFailed', (_e, err) => failures.push(err));
    const s = track(await rawConnect(ep));
    s.on('error', () => {});
    s.write(Buffer.concat([greeting(), ready('PUB')]));
    await within(closed(s), 10_000, 'peer dropped');
    await waitFor(() => failures.length === 1, 'handshakeFailed');
    expect(failures[0]!.code).toBe('PROTOCOL');
  });

  it('slowloris and silent handshakes are dropped after handshakeTimeoutMs', async () => {
    const { router, ep } = await echoRouter({ handshakeTimeoutMs: 300 });
    const failures: ZmtpError[] = [];
    router.on('handshakeFailed', (_e, err) => failures.push(err));
    const silent = track(await rawConnect(ep));
    const slow = track(await rawConnect(ep));
    silent.on('error', () => {});
    slow.on('error', () => {});
    const g = greeting();
    let i = 0;
    const t = setInterval(() => {
      if (i < g.length && !slow.destroyed) slow.write(g.subarray(i, ++i));
    }, 50);
    res.defer(() => clearInterval(t));
    await within(Promise.all([closed(silent), closed(slow)]), 10_000, 'both dropped');
    await waitFor(() => failures.length === 2, 'two handshake failures');
    expect(failures.map((f) => f.code)).toEqual(['TIMEOUT', 'TIMEOUT']);
    await roundTrip(ep);
  });

  it('10,000 connections opened and dropped: server stays up, fds back to baseline', async () => {
    const { router, ep } = await echoRouter();
    await roundTrip(ep);
    const base = await fdCount();
    const { host, port } = /^tcp:\/\/(?<host>.+):(?<port>\d+)$/.exec(ep)!.groups!;
    const net = await import('node:net');
    const one = (i: number) =>
      new Promise<void>((resolve) => {
        const s = net.connect(Number(port), host!, () => {
          // Alternate: drop at once, and drop mid-greeting.
          if (i % 2 === 0) s.destroy();
          else s.end(greeting().subarray(0, 20));
        });
        s.on('error', () => {});
        s.resume();
        s.on('close', () => resolve());
      });
    for (let b = 0; b < 10_000; b += 250) {
      const batch: Promise<void>[] = [];
      for (let i = b; i < b + 250; i++) batch.push(one(i));
      await Promise.all(batch);
    }
    await waitFor(
      () =>
        router.stats().connections === 0 &&
        (router as unknown as { peers: Set<unknown> }).peers.size === 0,
      'server side closed',
      30_000,
    );
    const after = await fdCount();
    expect(after).toBeLessThanOrEqual(base + 5);
    await roundTrip(ep);
  }, 120_000);
});

describe('limits and cleanup', () => {
  it('maxPendingHandshakes refuses connections beyond the bound; ready peers still served', async () => {
    const { router, ep } = await echoRouter({ maxPendingHandshakes: 2 });
    const a = track(await rawConnect(ep));
    const b = track(await rawConnect(ep));
    await waitFor(
      () => (router as unknown as { peers: Set<unknown> }).peers.size === 2,
      'two pending',
    );
    const c = track(await rawConnect(ep));
    c.on('error', () => {});
    await within(closed(c), 10_000, 'third refused');
    expect(a.destroyed || b.destroyed).toBe(false);
    a.destroy();
    b.destroy();
    await waitFor(
      () => (router as unknown as { peers: Set<unknown> }).peers.size === 0,
      'pending gone',
    );
    await roundTrip(ep);
  });

  it('close() releases every fd and stops reconnecting', async () => {
    const base = await fdCount();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const baseTimers = timers();
    const router = createRouter({ onMessage: (id, f) => router.send(id, f) });
    const ep = await router.bind('tcp://127.0.0.1:0');
    const dealers = Array.from({ length: 5 }, () => createDealer({ heartbeatIntervalMs: 50 }));
    for (const d of dealers) d.connect(ep);
    // One dealer also retries a port nobody listens on.
    const probe = (await import('node:net')).createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    dealers[0]!.connect(`tcp://127.0.0.1:${deadPort}`);
    await waitFor(() => router.stats().connections === 5, 'five connected');
    await Promise.all(dealers.map((d) => d.close()));
    await router.close();
    const after = await fdCount();
    expect(after).toBeLessThanOrEqual(base + 2);
    // No reconnect, heartbeat or linger timer left behind.
    expect(timers()).toBeLessThanOrEqual(baseTimers);
    expect(() => dealers[1]!.connect(ep)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});

describe('liveness', () => {
  it('heartbeats detect a SIGSTOPped libzmq peer within the timeout', async () => {
    const child = fork(new URL('./fixtures/zmq-router.mjs', import.meta.url).pathname, [], {
      stdio: 'ignore',
    });
    res.defer(() => {
      try {
        process.kill(child.pid!, 'SIGCONT');
      } catch {}
      child.kill('SIGKILL');
    });
    const ep = await within(
      new Promise<string>((r) => child.once('message', (m) => r(String(m)))),
      20_000,
      'child endpoint',
    );
    const dealer = res.add(
      createDealer({
        heartbeatIntervalMs: 200,
        heartbeatTimeoutMs: 600,
        reconnectIntervalMs: 60_000,
      }),
    );
    const got: string[] = [];
    dealer.onMessage = (f) => got.push(Buffer.from(f[0]!).toString());
    const reasons: string[] = [];
    dealer.on('disconnect', (_p, reason, err) => reasons.push(`${reason}:${err?.code}`));
    dealer.connect(ep);
    dealer.send([Buffer.from('hi')]);
    await waitFor(() => got.length === 1, 'echo');
    process.kill(child.pid!, 'SIGSTOP');
    await waitFor(() => reasons.length === 1, 'disconnect after SIGSTOP', 20_000);
    expect(reasons).toEqual(['protocol:TIMEOUT']);
  }, 60_000);

  it('a heartbeating ROUTER drops a SIGSTOPped zmtp DEALER child', async () => {
    const router = res.add(createRouter({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 600 }));
    const ep = await router.bind('tcp://127.0.0.1:0');
    const reasons: string[] = [];
    router.on('disconnect', (_p, reason, err) => reasons.push(`${reason}:${err?.code}`));
    let hello = 0;
    router.onMessage = () => hello++;
    const child = fork(new URL('./fixtures/zmtp-dealer.ts', import.meta.url).pathname, [ep], {
      stdio: 'ignore',
      execArgv: ['--import', 'tsx'],
    });
    res.defer(() => {
      try {
        process.kill(child.pid!, 'SIGCONT');
      } catch {}
      child.kill('SIGKILL');
    });
    await waitFor(() => hello === 1, 'hello from the child', 30_000);
    process.kill(child.pid!, 'SIGSTOP');
    await waitFor(() => reasons.length === 1, 'disconnect after SIGSTOP', 20_000);
    expect(reasons).toEqual(['protocol:TIMEOUT']);
  }, 60_000);

  it('a peer announcing a TTL drops us when we go silent (PING answered with PONG while alive)', async () => {
    const { router, ep } = await echoRouter();
    const s = track(await rawConnect(ep));
    s.on('error', () => {});
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    // PING with TTL 5 (= 500 ms) and context "ab".
    const ping = Buffer.from([4, 9, 4, ...Buffer.from('PING'), 0, 5, 0x61, 0x62]);
    s.write(Buffer.concat([greeting(), ready('DEALER'), ping]));
    await waitFor(
      () => Buffer.concat(chunks).includes(Buffer.from([4, ...Buffer.from('PONG'), 0x61, 0x62])),
      'PONG with context',
    );
    await within(closed(s), 10_000, 'dropped after TTL');
    expect(router.stats().disconnects).toBe(1);
  });

  it('reconnects after the peer restarts on the same port', async () => {
    const r1 = createRouter({ lingerMs: 0 });
    r1.onMessage = (id, f) => r1.send(id, f);
    const ep = await r1.bind('tcp://127.0.0.1:0');
    const got: string[] = [];
    const dealer = res.add(
      createDealer({ onMessage: (f) => got.push(Buffer.from(f[0]!).toString()) }),
    );
    let connects = 0;
    dealer.on('connect', () => connects++);
    dealer.connect(ep);
    dealer.send([Buffer.from('one')]);
    await waitFor(() => got.length === 1, 'first echo');
    await r1.close();
    await waitFor(() => dealer.stats().connections === 0, 'dropped');
    const r2 = res.add(createRouter());
    r2.onMessage = (id, f) => r2.send(id, f);
    await r2.bind(ep);
    await waitFor(() => connects === 2, 'reconnected', 20_000);
    dealer.send([Buffer.from('two')]);
    await waitFor(() => got.length === 2, 'second echo');
    expect(got).toEqual(['one', 'two']);
  });

  it('a peer ERROR during the handshake stops reconnecting', async () => {
    const net = await import('node:net');
    let accepted = 0;
    const server = net.createServer((s) => {
      accepted++;
      s.on('error', () => {});
      s.resume();
      const err = Buffer.from([4, 12, 5, ...Buffer.from('ERROR'), 5, ...Buffer.from('nope!')]);
      s.end(Buffer.concat([greeting(), err]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    res.defer(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const dealer = res.add(createDealer({ reconnectIntervalMs: 10 }));
    const failures: ZmtpError[] = [];
    dealer.on('handshakeFailed', (_e, err) => failures.push(err));
    dealer.connect(`tcp://127.0.0.1:${port}`);
    await waitFor(() => failures.length === 1, 'handshake failure');
    expect(failures[0]!.code).toBe('PEER_ERROR');
    // A retry would have come after 10 ms; give it ample chance without sleeping blindly.
    await waitFor(() => accepted >= 1, 'accepted');
    await new Promise((r) => setTimeout(r, 300));
    expect(accepted).toBe(1);
  });
});

describe('backpressure', () => {
  it('send returns false over the high-water mark and drain fires', async () => {
    const router = res.add(createRouter());
    const ep = await router.bind('tcp://127.0.0.1:0');
    let received = 0;
    router.onMessage = () => received++;
    router.pause();
    const dealer = res.add(createDealer({ sendHighWaterMark: 10 }));
    dealer.connect(ep);
    await waitFor(() => dealer.stats().connections === 1, 'connected');
    const body = Buffer.alloc(64 * 1024);
    let sent = 0;
    while (dealer.send([body])) {
      sent++;
      if (sent > 100_000) throw new Error('never full');
    }
    expect(sent).toBeGreaterThan(10);
    let drained = false;
    dealer.on('drain', () => {
      drained = true;
    });
    router.resume();
    await waitFor(() => drained, 'drain');
    await waitFor(() => received === sent, 'all received');
  });

  it('XPUB drops for a full subscriber and counts (noDrop returns false)', async () => {
    const xpub = res.add(createXPub({ sendHighWaterMark: 5, noDrop: false }));
    const ep = await xpub.bind('tcp://127.0.0.1:0');
    const { createSub } = await import('../src/index.js');
    const sub = res.add(createSub());
    sub.subscribe('');
    sub.pause();
    let subs = 0;
    xpub.on('subscribe', () => subs++);
    sub.connect(ep);
    await waitFor(() => subs === 1, 'subscribed');
    const body = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 2000 && xpub.stats().drops.hwm === 0; i++)
      expect(xpub.send([body])).toBe(true);
    expect(xpub.stats().drops.hwm).toBeGreaterThan(0);
  });
});
