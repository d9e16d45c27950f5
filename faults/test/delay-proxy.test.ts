// The delaying proxy on loopback (no namespaces needed): bytes arrive whole
// and in order whatever the jitter, each way at least delayMs - jitterMs late.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { within } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { createDelayProxy, type DelayProxy } from '../src/delay-proxy.js';

describe('delay proxy', () => {
  let echo: Server | undefined;
  let proxy: DelayProxy | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await proxy?.close();
    await new Promise<void>((resolve) => (echo ? echo.close(() => resolve()) : resolve()));
  });

  it('keeps the byte stream whole and in order, and delays each way', async () => {
    echo = createServer((s) => s.pipe(s));
    await new Promise<void>((resolve) => echo!.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;
    proxy = await createDelayProxy({
      targetHost: '127.0.0.1',
      targetPort: port,
      delayMs: 30,
      jitterMs: 20,
    });
    const url = new URL(proxy.endpoint.replace(/^tcp:/, 'http:'));
    client = connect({ host: url.hostname, port: Number(url.port) });
    await new Promise<void>((resolve) => client!.once('connect', resolve));

    const total = 1 << 20;
    const sent = Buffer.alloc(total);
    for (let i = 0; i < total; i++) sent[i] = (i * 7 + (i >> 8)) & 0xff;
    const chunks: Buffer[] = [];
    let received = 0;
    let firstAt = 0;
    const done = new Promise<void>((resolve) => {
      client!.on('data', (chunk: Buffer) => {
        if (received === 0) firstAt = performance.now();
        chunks.push(chunk);
        received += chunk.length;
        if (received >= total) resolve();
      });
    });
    const t0 = performance.now();
    // Many writes, so chunks get different delays from the jitter.
    for (let off = 0; off < total; off += 4096) client.write(sent.subarray(off, off + 4096));
    await within(done, 30_000, 'the echo');
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    // Two ways through the proxy, each at least 30 - 20 ms.
    expect(firstAt - t0).toBeGreaterThanOrEqual(19);
    expect(proxy.connections()).toBe(1);
  });
});
