import { createServer } from '@xsmb/rpc';
import { describe, expect, it } from 'vitest';
import { Kind, startRawServer } from '../src/conformance/wire.js';
import { SCENARIOS, TestService, testServiceImplementation } from '../src/index.js';
import { CliProcess, runCli } from './helpers.js';

describe('xsmb conformance', () => {
  it('passes every scenario against xsmb conformance serve, which exits after the drain', async () => {
    const serve = new CliProcess(['conformance', 'serve']);
    try {
      const { endpoint } = JSON.parse(await serve.line());
      const r = await runCli(['conformance', endpoint], { timeoutMs: 170_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(
        `${[...SCENARIOS.map((s) => `PASS  ${s.name}`), `${SCENARIOS.length} passed, 0 failed`].join('\n')}\n`,
      );
      expect(r.code).toBe(0);
      expect(await serve.exited).toBe(0);
    } finally {
      await serve.close();
    }
  }, 180_000);

  it('catches a server whose handlers ignore deadlines and cancellation (FAIL, exit 1, --json)', async () => {
    const server = createServer();
    const good = testServiceImplementation(() => undefined);
    let running = '';
    server.add(TestService, {
      ...good,
      // Broken on purpose: the handler never looks at ctx.signal.
      async sleep(req) {
        running = req.id;
        await new Promise((resolve) => setTimeout(resolve, req.ms).unref());
        return { slept: req.ms };
      },
      status: async (req) => ({ status: req.id === running ? 'running' : 'unknown' }),
    });
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    try {
      const r = await runCli([
        'conformance',
        endpoint,
        '--only',
        'reaches the handler',
        '--patience',
        '500',
      ]);
      expect(r.stdout).toBe(
        [
          "FAIL  deadline reaches the handler: the handler's status after its deadline: running",
          "FAIL  cancellation reaches the handler: the handler's status after CANCEL: running",
          '0 passed, 2 failed',
          '',
        ].join('\n'),
      );
      expect(r.code).toBe(1);
      const json = await runCli([
        'conformance',
        endpoint,
        '--only',
        'deadline',
        '--skip-drain',
        '--json',
      ]);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout);
      expect(report.results.map((x: { name: string; ok: boolean }) => [x.name, x.ok])).toEqual([
        ['deadline propagation', true],
        ['deadline reaches the handler', false],
      ]);
      expect([report.passed, report.failed]).toEqual([1, 1]);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });

  it('catches a server stream that overruns the credit window', async () => {
    // Plays a broken peer on the wire: every DATA at once, whatever the client granted.
    const raw = await startRawServer('tcp://127.0.0.1:0', async (env, reply) => {
      if (env[1] !== Kind.REQUEST) return;
      const id = env[2] as number;
      const n = (env[6] as { n: number }).n;
      for (let i = 0; i < n; i++) await reply([1, Kind.DATA, id, { i, data: new Uint8Array(16) }]);
      await reply([1, Kind.END, id, null]);
    });
    try {
      const r = await runCli(['conformance', raw.endpoint, '--only', 'respects credit']);
      expect(r.stdout).toMatch(
        /^FAIL {2}server stream respects credit \(server → client\): the server sent \d+ DATA beyond the 4 messages of credit granted\n0 passed, 1 failed\n$/,
      );
      expect(r.code).toBe(1);
    } finally {
      await raw.close();
    }
  });
});
