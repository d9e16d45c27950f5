import { createPublisher, createSubscriber, defineTopic } from '@xsmb/pubsub';
import { Code, createServer, defineService, RpcError, unary } from '@xsmb/rpc';
import { bidiStream, serverStream } from '@xsmb/stream';
import { describe, expect, it } from 'vitest';
import { CliProcess, runCli } from './helpers.js';

/** `xsmb bench <endpoint> <args…> --json`, its report parsed. */
async function benchJson(endpoint: string, args: string[]) {
  return JSON.parse((await runCli(['bench', endpoint, ...args, '--json'])).stdout);
}

const Load = defineService('demo.Load', {
  ping: unary<{ fail?: boolean }, { ok: true }>(),
  ticks: serverStream<{ n: number }, { i: number }>(),
  chat: bidiStream<Record<string, never>, unknown, unknown>(),
});

describe('xsmb bench', () => {
  it('counts calls, messages, latency and errors by code (--json)', async () => {
    const server = createServer();
    let n = 0;
    server.add(Load, {
      async ping(req) {
        // Every fourth call fails, to be counted by code.
        if (req.fail === true && ++n % 4 === 0) throw new RpcError(Code.ABORTED, 'busy');
        return { ok: true };
      },
      async *ticks(req) {
        for (let i = 0; i < req.n; i++) yield { i };
      },
      async *chat(_open, incoming) {
        for await (const m of incoming) yield m;
      },
    });
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    try {
      const ok = await runCli([
        'bench',
        endpoint,
        'demo.Load/ping',
        '{}',
        '-n',
        '200',
        '-c',
        '4',
        '--json',
      ]);
      expect(ok.code).toBe(0);
      const report = JSON.parse(ok.stdout);
      expect([report.calls, report.errors, report.errorsByCode]).toEqual([200, 0, {}]);
      expect(report.histogram.reduce((s: number, h: { count: number }) => s + h.count, 0)).toBe(
        200,
      );
      expect(report.latencyMs.p50).toBeGreaterThan(0);
      expect(report.latencyMs.max).toBeGreaterThanOrEqual(report.latencyMs.p99);

      const failing = await benchJson(endpoint, [
        'demo.Load/ping',
        '{"fail":true}',
        '-n',
        '100',
        '-c',
        '1',
      ]);
      expect([failing.calls, failing.errors, failing.errorsByCode]).toEqual([
        100,
        25,
        { ABORTED: 25 },
      ]);

      const stream = await benchJson(endpoint, [
        'demo.Load/ticks',
        '{"n":5}',
        '-n',
        '40',
        '-c',
        '8',
      ]);
      expect([stream.calls, stream.errors, stream.messages]).toEqual([40, 0, 200]);

      const bidi = await benchJson(endpoint, [
        'demo.Load/chat',
        '{}',
        '-n',
        '10',
        '--messages',
        '3',
      ]);
      expect([bidi.calls, bidi.errors, bidi.messages]).toEqual([10, 0, 30]);

      // --rate paces call k to start no earlier than k / rate s: 20 calls at 200/s take at least 95 ms.
      const paced = await benchJson(endpoint, [
        'demo.Load/ping',
        '-n',
        '20',
        '-c',
        '4',
        '--rate',
        '200',
      ]);
      expect(paced.calls).toBe(20);
      expect(paced.durationMs).toBeGreaterThanOrEqual(95);

      const text = await runCli(['bench', endpoint, 'demo.Load/ping', '-n', '50', '-c', '2']);
      const lines = text.stdout.split('\n');
      expect(lines[0]).toMatch(/^50 calls in \d+\.\d\d s: \d+ calls\/s, 0 errors$/);
      expect(lines[1]).toMatch(
        /^latency ms: min [\d.]+ {2}mean [\d.]+ {2}p50 [\d.]+ {2}p90 [\d.]+ {2}p99 [\d.]+ {2}p99\.9 [\d.]+ {2}max [\d.]+$/,
      );
      expect(text.stderr).toBe(''); // no progress line when stderr is not a terminal
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});

describe('xsmb broker', () => {
  it('relays between publishers and subscribers; xsmb pub connects to it', async () => {
    const broker = new CliProcess([
      'broker',
      '--frontend',
      'tcp://127.0.0.1:0',
      '--backend',
      'tcp://127.0.0.1:0',
    ]);
    const { frontend, backend } = JSON.parse(await broker.line());
    const sub = createSubscriber({ endpoints: [backend] });
    const pub = createPublisher();
    try {
      const Topic = defineTopic<{ n: number }>('t');
      const subscription = sub.subscribe(Topic);
      await sub.ready({ timeoutMs: 20_000 });
      pub.connect(frontend);
      await pub.waitForSubscribers(1, { timeoutMs: 20_000 });
      await pub.publish(Topic, { n: 1 });
      const cliPub = await runCli(['pub', frontend, 't', '{"n":2}', '--wait-subscribers', '1']);
      expect(cliPub.stderr).toBe('published 1 (unmatched 0, dropped 0)\n');
      const got: unknown[] = [];
      for await (const m of subscription) {
        got.push(m.value);
        if (got.length === 2) break;
      }
      expect(got).toEqual([{ n: 1 }, { n: 2 }]);
      expect(await broker.close()).toBe(0);
      const stopped = JSON.parse(await broker.line());
      expect(stopped.stopped).toBe(true);
    } finally {
      await broker.close();
      await pub.close();
      await sub.close();
    }
  });

  it('--log-level writes pino JSON lines on stderr', async () => {
    const broker = new CliProcess([
      'broker',
      '--frontend',
      'tcp://127.0.0.1:0',
      '--backend',
      'tcp://127.0.0.1:0',
      '--log-level',
      'info',
    ]);
    const sub = createSubscriber({ endpoints: [] });
    try {
      const { frontend, backend } = JSON.parse(await broker.line());
      sub.connect(backend);
      const listening = JSON.parse(await broker.line('stderr'));
      expect(listening).toMatchObject({
        level: 30,
        component: 'broker',
        event: 'listening',
        frontend,
        backend,
        msg: 'broker listening',
      });
      expect(JSON.parse(await broker.line('stderr'))).toMatchObject({
        level: 30,
        component: 'broker',
        event: 'connected',
        side: 'backend',
        msg: 'subscriber connected',
      });
    } finally {
      await sub.close();
      await broker.close();
    }
  });
});
