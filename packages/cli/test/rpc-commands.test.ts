import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, createServer, defineService, RpcError, type Server, unary } from '@xsmb/rpc';
import { bidiStream, clientStream, serverStream } from '@xsmb/stream';
import { generateKeyPair } from '@xsmb/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CliProcess, runCli } from './helpers.js';

const Greeter = defineService('demo.Greeter', {
  hello: unary({
    input: z.object({ name: z.string() }),
    output: z.object({ greeting: z.string() }),
  }),
  whoami: unary<Record<string, never>, { id: string | null }>(),
  bytes: unary<{ b: Uint8Array; n: bigint; d: Date }, { b: Uint8Array; n: bigint; d: Date }>(),
  ticks: serverStream<{ n: number }, { i: number }>(),
  sum: clientStream<{ label: string }, { x: number }, { label: string; total: number }>(),
  chat: bidiStream<{ room: string }, { text: string }, { line: string }>(),
});

function serve(server: Server): void {
  server.add(Greeter, {
    async hello(req, ctx) {
      ctx.trailers['x-served-by'] = 'test';
      if (req.name === '') {
        throw new RpcError(Code.NOT_FOUND, 'nobody', {
          details: { who: '' },
          metadata: { 'x-why': 'empty' },
        });
      }
      return { greeting: `hi ${req.name}` };
    },
    whoami: async (_req, ctx) => ({ id: (ctx.metadata['x-id'] as string | undefined) ?? null }),
    bytes: async (req) => req,
    async *ticks(req, ctx) {
      for (let i = 0; i < req.n; i++) yield { i };
      ctx.trailers['x-count'] = String(req.n);
    },
    async sum(open, chunks) {
      let total = 0;
      for await (const c of chunks) total += c.x;
      return { label: open.label, total };
    },
    async *chat(open, incoming) {
      for await (const m of incoming) yield { line: `[${open.room}] ${m.text}` };
    },
  });
}

describe('xsmb list, describe, call, health', () => {
  let server: Server;
  let endpoint: string;
  beforeAll(async () => {
    server = createServer();
    serve(server);
    [endpoint] = await server.listen('tcp://127.0.0.1:0');
  });
  afterAll(async () => {
    await server.close({ graceMs: 0 });
  });

  it('list prints services, methods and kinds', async () => {
    const r = await runCli(['list', endpoint]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .split('\n')
        .slice(3, 11)
        .map((l) =>
          l
            .replace(/[│┌┐└┘├┤─┬┴┼]/g, '')
            .trim()
            .split(/\s+/),
        ),
    ).toEqual([
      ['xsmb.health.v1', 'check', 'unary'],
      ['xsmb.reflection.v1', 'list', 'unary'],
      ['demo.Greeter', 'hello', 'unary'],
      ['demo.Greeter', 'whoami', 'unary'],
      ['demo.Greeter', 'bytes', 'unary'],
      ['demo.Greeter', 'ticks', 'server-stream'],
      ['demo.Greeter', 'sum', 'client-stream'],
      ['demo.Greeter', 'chat', 'bidi-stream'],
    ]);
    const json = await runCli(['list', endpoint, '--json']);
    expect(JSON.parse(json.stdout)[2]).toEqual({
      name: 'demo.Greeter',
      methods: [
        { name: 'hello', kind: 'unary' },
        { name: 'whoami', kind: 'unary' },
        { name: 'bytes', kind: 'unary' },
        { name: 'ticks', kind: 'server-stream' },
        { name: 'sum', kind: 'client-stream' },
        { name: 'chat', kind: 'bidi-stream' },
      ],
    });
  });

  it('describe prints one method with its JSON Schemas', async () => {
    const r = await runCli(['describe', endpoint, 'demo.Greeter/hello']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'service demo.Greeter',
        '  hello unary',
        '    input:  {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"name":{"type":"string"}},"required":["name"]}',
        '    output: {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"greeting":{"type":"string"}},"required":["greeting"],"additionalProperties":false}',
        '',
      ].join('\n'),
    );
    const json = await runCli(['describe', endpoint, 'demo.Greeter/ticks', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        name: 'demo.Greeter',
        methods: [{ name: 'ticks', kind: 'server-stream', idempotent: false }],
      },
    ]);
    const missing = await runCli(['describe', endpoint, 'demo.Nope']);
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'xsmb: no service demo.Nope\n' });
  });

  it('call: unary JSON in and out, trailers on stderr', async () => {
    const r = await runCli(['call', endpoint, 'demo.Greeter/hello', '{"name":"ada"}']);
    expect(r).toEqual({
      code: 0,
      stdout: '{"greeting":"hi ada"}\n',
      stderr: 'trailers {"x-served-by":"test"}\n',
    });
  });

  it('call: the request from stdin, @file and metadata with -H', async () => {
    const stdin = await runCli(['call', endpoint, 'demo.Greeter/hello'], {
      input: '{"name":"bob"}',
    });
    expect(stdin.stdout).toBe('{"greeting":"hi bob"}\n');
    const file = join(tmpdir(), `xsmb-cli-${process.pid}.json`);
    writeFileSync(file, '{"name":"cy"}');
    const fromFile = await runCli(['call', endpoint, 'demo.Greeter/hello', `@${file}`]);
    expect(fromFile.stdout).toBe('{"greeting":"hi cy"}\n');
    const md = await runCli(['call', endpoint, 'demo.Greeter/whoami', '{}', '-H', 'x-id=42']);
    expect(md.stdout).toBe('{"id":"42"}\n');
  });

  it('call: bytes, bigint and Date travel as $bytes, $bigint and $date', async () => {
    const value =
      '{"b":{"$bytes":"AAH/"},"n":{"$bigint":"1152921504606846976"},"d":{"$date":"2023-11-14T22:13:20.123Z"}}';
    const r = await runCli(['call', endpoint, 'demo.Greeter/bytes', value]);
    expect(r.stdout).toBe(`${value}\n`);
  });

  it('call: an RPC error shows code, details, trailers; exit code 64 + code', async () => {
    const r = await runCli(['call', endpoint, 'demo.Greeter/hello', '{"name":""}']);
    expect(r).toEqual({
      code: 64 + Code.NOT_FOUND,
      stdout: '',
      stderr:
        'error NOT_FOUND (5): nobody\ndetails {"who":""}\ntrailers {"x-served-by":"test","x-why":"empty"}\n',
    });
    const json = await runCli(['call', endpoint, 'demo.Greeter/hello', '{"name":""}', '--json']);
    expect(json.code).toBe(69);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 5,
        codeName: 'NOT_FOUND',
        message: 'nobody',
        details: { who: '' },
        trailers: { 'x-served-by': 'test', 'x-why': 'empty' },
      },
    });
    const invalid = await runCli(['call', endpoint, 'demo.Greeter/hello', '{"name":1}']);
    expect(invalid.code).toBe(64 + Code.INVALID_ARGUMENT);
    const unknown = await runCli(['call', endpoint, 'demo.Greeter/nope', '{}', '--kind', 'unary']);
    expect(unknown.code).toBe(64 + Code.UNIMPLEMENTED);
    const unlisted = await runCli(['call', endpoint, 'demo.Greeter/nope', '{}']);
    expect(unlisted.code).toBe(1);
    expect(unlisted.stderr).toBe(
      "xsmb: demo.Greeter/nope is not listed by the server's reflection (use --kind to call it anyway)\n",
    );
  });

  it('call --json: response and trailers in one line', async () => {
    const r = await runCli(['call', endpoint, 'demo.Greeter/hello', '{"name":"ada"}', '--json']);
    expect(r.stdout).toBe('{"response":{"greeting":"hi ada"},"trailers":{"x-served-by":"test"}}\n');
  });

  it('call: a server stream prints NDJSON', async () => {
    const r = await runCli(['call', endpoint, 'demo.Greeter/ticks', '{"n":3}']);
    expect(r).toEqual({
      code: 0,
      stdout: '{"i":0}\n{"i":1}\n{"i":2}\n',
      stderr: 'trailers {"x-count":"3"}\n',
    });
  });

  it('call: a client stream reads NDJSON from stdin', async () => {
    const r = await runCli(['call', endpoint, 'demo.Greeter/sum', '{"label":"s"}'], {
      input: '{"x":1}\n{"x":2}\n\n{"x":39}\n',
    });
    expect(r).toEqual({ code: 0, stdout: '{"label":"s","total":42}\n', stderr: '' });
  });

  it('call: bidi reads and writes NDJSON', async () => {
    const r = await runCli(['call', endpoint, 'demo.Greeter/chat', '{"room":"ops"}'], {
      input: '{"text":"a"}\n{"text":"b"}\n',
    });
    expect(r).toEqual({
      code: 0,
      stdout: '{"line":"[ops] a"}\n{"line":"[ops] b"}\n',
      stderr: '',
    });
  });

  it('call: --timeout gives DEADLINE_EXCEEDED against a silent endpoint', async () => {
    // A bound port with no server behind it: the call waits for a connection until its deadline.
    const silent = createServer();
    const [dead] = await silent.listen('tcp://127.0.0.1:0');
    await silent.close({ graceMs: 0 });
    const r = await runCli([
      'call',
      dead,
      'demo.Greeter/hello',
      '{}',
      '--kind',
      'unary',
      '--timeout',
      '300',
    ]);
    expect(r.code).toBe(64 + Code.DEADLINE_EXCEEDED);
    expect(r.stderr.startsWith('error DEADLINE_EXCEEDED (4): ')).toBe(true);
  });

  it('bad arguments exit 1 with a message', async () => {
    const r = await runCli(['call', 'nope', 'demo.Greeter/hello', '{}']);
    expect(r.code).toBe(1);
    // The wording after the colon depends on the engine (zmtp or libzmq).
    expect(r.stderr).toMatch(/^xsmb: cannot use endpoint nope: .+\n$/);
    const json = await runCli(['call', endpoint, 'demo.Greeter/hello', '{bad']);
    expect(json.code).toBe(1);
    expect(json.stderr.startsWith('xsmb: the message is not valid JSON: ')).toBe(true);
  });

  it('health: SERVING, SERVICE_UNKNOWN, --json', async () => {
    expect(await runCli(['health', endpoint])).toEqual({
      code: 0,
      stdout: 'SERVING\n',
      stderr: '',
    });
    expect(await runCli(['health', endpoint, 'demo.Greeter', '--json'])).toEqual({
      code: 0,
      stdout: '{"status":"SERVING"}\n',
      stderr: '',
    });
    expect(await runCli(['health', endpoint, 'demo.Nope'])).toEqual({
      code: 1,
      stdout: 'SERVICE_UNKNOWN\n',
      stderr: '',
    });
  });

  it('every command has --help', async () => {
    for (const cmd of [
      'list',
      'describe',
      'call',
      'health',
      'sub',
      'pub',
      'keygen',
      'bench',
      'conformance',
      'broker',
    ]) {
      const r = await runCli([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout.startsWith(`Usage: xsmb ${cmd} `), cmd).toBe(true);
    }
  });
});

describe('xsmb call without reflection', () => {
  it('asks for --kind, and calls with it', async () => {
    const server = createServer({ reflection: false });
    serve(server);
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    try {
      expect(await runCli(['call', endpoint, 'demo.Greeter/hello', '{"name":"x"}'])).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'xsmb: the server does not serve reflection (xsmb.reflection.v1): give the method kind with --kind\n',
      });
      const r = await runCli([
        'call',
        endpoint,
        'demo.Greeter/ticks',
        '{"n":2}',
        '--kind',
        'server-stream',
      ]);
      expect(r.stdout).toBe('{"i":0}\n{"i":1}\n');
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});

describe('xsmb health --watch', () => {
  it('prints each change of status', async () => {
    const server = createServer();
    serve(server);
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    const watch = new CliProcess([
      'health',
      endpoint,
      '--watch',
      '--interval',
      '50',
      '--timeout',
      '1000',
    ]);
    try {
      expect(await watch.line()).toBe('SERVING');
      await server.close({ graceMs: 0 });
      // A check may land during the (short) drain and see DRAINING first.
      let next = await watch.line();
      if (next === 'DRAINING') next = await watch.line();
      expect(next).toBe('UNAVAILABLE');
    } finally {
      expect(await watch.close()).toBe(0);
      await server.close({ graceMs: 0 });
    }
  });
});

describe('xsmb keygen and CURVE', () => {
  it('keygen prints a Z85 key pair', async () => {
    const r = await runCli(['keygen']);
    expect(r.stdout).toMatch(/^XSMB_CURVE_PUBLIC_KEY='.{40}'\nXSMB_CURVE_SECRET_KEY='.{40}'\n$/);
    const json = JSON.parse((await runCli(['keygen', '--json'])).stdout);
    expect(Object.keys(json)).toEqual(['publicKey', 'secretKey']);
    expect(json.publicKey).toHaveLength(40);
  });

  it('call over CURVE, keys from flags and the environment', async () => {
    const serverKeys = generateKeyPair();
    const clientKeys = JSON.parse((await runCli(['keygen', '--json'])).stdout);
    const server = createServer({
      transportOptions: { curve: serverKeys, allowedClientKeys: [clientKeys.publicKey] },
    });
    serve(server);
    const [endpoint] = await server.listen('tcp://127.0.0.1:0');
    try {
      const r = await runCli(
        [
          'call',
          endpoint,
          'demo.Greeter/hello',
          '{"name":"sec"}',
          `--curve-server-key=${serverKeys.publicKey}`,
        ],
        {
          env: {
            XSMB_CURVE_PUBLIC_KEY: clientKeys.publicKey,
            XSMB_CURVE_SECRET_KEY: clientKeys.secretKey,
          },
        },
      );
      expect(r.stdout).toBe('{"greeting":"hi sec"}\n');
      // A key not on the allow-list never gets in: the call runs into its deadline.
      const refused = await runCli(
        ['call', endpoint, 'demo.Greeter/hello', '{}', '--kind', 'unary', '--timeout', '500'],
        { env: { XSMB_CURVE_SERVER_KEY: serverKeys.publicKey } },
      );
      expect(refused.code).not.toBe(0);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});
