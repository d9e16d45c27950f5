import { createPublisher, createSubscriber, defineTopic } from '@xsmb/pubsub';
import { describe, expect, it } from 'vitest';
import { CliProcess, runCli } from './helpers.js';

const Prices = defineTopic<{ sym: string; px: number }>('prices');

describe('xsmb sub', () => {
  it('prints NDJSON with key, seq, publisher, gaps, value and metadata', async () => {
    const pub = createPublisher();
    const [endpoint] = await pub.listen('tcp://127.0.0.1:0');
    const sub = new CliProcess(['sub', endpoint, 'prices', '--key', 'AAPL', '--count', '2']);
    try {
      await pub.waitForSubscribers(1, { topic: 'prices', key: 'AAPL', timeoutMs: 20_000 });
      await pub.publish(Prices, { sym: 'MSFT', px: 1 }, { key: 'MSFT' }); // filtered out
      await pub.publish(
        Prices,
        { sym: 'AAPL', px: 189.5 },
        { key: 'AAPL', metadata: { traceparent: 't' } },
      );
      await pub.publish(Prices, { sym: 'AAPL', px: 190 }, { key: 'AAPL' });
      const first = JSON.parse(await sub.line());
      const second = JSON.parse(await sub.line());
      expect(first).toEqual({
        topic: 'prices',
        key: 'AAPL',
        seq: 1,
        publisher: pub.id,
        gaps: 0,
        value: { sym: 'AAPL', px: 189.5 },
        metadata: { traceparent: 't' },
      });
      expect(second).toEqual({
        topic: 'prices',
        key: 'AAPL',
        seq: 2,
        publisher: pub.id,
        gaps: 0,
        value: { sym: 'AAPL', px: 190 },
        metadata: {},
      });
      expect(await sub.exited).toBe(0);
    } finally {
      await sub.close();
      await pub.close();
    }
  });
});

describe('xsmb pub', () => {
  it('binds, waits for a subscriber, publishes the argument', async () => {
    const pub = new CliProcess([
      'pub',
      'tcp://127.0.0.1:0',
      'prices',
      '{"sym":"AAPL","px":1.5}',
      '--bind',
      '--key',
      'AAPL',
      '-H',
      'x-src=cli',
      '--wait-subscribers',
      '1',
      '--wait-timeout',
      '30000',
    ]);
    const listening = await pub.line('stderr');
    expect(listening).toMatch(/^listening on tcp:\/\/127\.0\.0\.1:\d+$/);
    const sub = createSubscriber({ endpoints: [listening.slice('listening on '.length)] });
    try {
      const prices = sub.subscribe(Prices);
      let got: unknown;
      for await (const m of prices) {
        got = { key: m.key, seq: m.seq, value: m.value, metadata: m.metadata };
        break;
      }
      expect(got).toEqual({
        key: 'AAPL',
        seq: 1,
        value: { sym: 'AAPL', px: 1.5 },
        metadata: { 'x-src': 'cli' },
      });
      expect(await pub.line('stderr')).toBe('published 1 (unmatched 0, dropped 0)');
      expect(await pub.exited).toBe(0);
    } finally {
      await pub.close();
      await sub.close();
    }
  });

  it('publishes NDJSON lines from stdin, --json prints the counters', async () => {
    const pub = new CliProcess([
      'pub',
      'tcp://127.0.0.1:0',
      'prices',
      '--bind',
      '--wait-subscribers',
      '1',
      '--json',
    ]);
    const listening = await pub.line('stderr');
    const sub = createSubscriber({ endpoints: [listening.slice('listening on '.length)] });
    try {
      const prices = sub.subscribe(Prices);
      await sub.ready({ timeoutMs: 20_000 });
      pub.write('{"sym":"A","px":1}\n{"sym":"B","px":2}\n{"sym":"C","px":3}\n');
      pub.child.stdin?.end();
      const values: unknown[] = [];
      for await (const m of prices) {
        values.push(m.value);
        if (values.length === 3) break;
      }
      expect(values).toEqual([
        { sym: 'A', px: 1 },
        { sym: 'B', px: 2 },
        { sym: 'C', px: 3 },
      ]);
      const stats = JSON.parse(await pub.line());
      expect([stats.published, stats.unmatched, stats.dropped]).toEqual([3, 0, 0]);
      expect(await pub.exited).toBe(0);
    } finally {
      await pub.close();
      await sub.close();
    }
  });

  it('without a subscriber in time, exits 1', async () => {
    const r = await runCli([
      'pub',
      'tcp://127.0.0.1:0',
      'prices',
      '{}',
      '--bind',
      '--wait-subscribers',
      '1',
      '--wait-timeout',
      '200',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^listening on tcp:\/\/127\.0\.0\.1:\d+\nxsmb: no 1 subscriber\(s\): /,
    );
  });
});

describe('xsmb pub and sub over CURVE', () => {
  it('pub --bind with its keys from the environment, sub with the server key', async () => {
    const server = JSON.parse((await runCli(['keygen', '--json'])).stdout);
    const pub = new CliProcess(
      ['pub', 'tcp://127.0.0.1:0', 'orders', '{"id":1}', '--bind', '--wait-subscribers', '1'],
      {
        env: { XSMB_CURVE_PUBLIC_KEY: server.publicKey, XSMB_CURVE_SECRET_KEY: server.secretKey },
      },
    );
    const endpoint = (await pub.line('stderr')).slice('listening on '.length);
    const sub = new CliProcess([
      'sub',
      endpoint,
      'orders',
      '--count',
      '1',
      `--curve-server-key=${server.publicKey}`,
    ]);
    try {
      const m = JSON.parse(await sub.line());
      expect([m.topic, m.seq, m.value]).toEqual(['orders', 1, { id: 1 }]);
      expect(await sub.exited).toBe(0);
      expect(await pub.exited).toBe(0);
    } finally {
      await sub.close();
      await pub.close();
    }
  });
});
