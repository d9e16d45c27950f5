/**
 * The client-side conformance scenarios, run against any implementation of
 * `xsmb.conformance.v1.TestService` (docs/CONFORMANCE.md lists them).
 */

import {
  Code,
  codeName,
  createClient,
  HealthService,
  RpcError,
  type ServiceClient,
} from '@xsmb/rpc';
import type { ClientCurveOptions } from '@xsmb/transport';
import { toJson } from '../json-mapping.js';
import { HOLD_WINDOW_MESSAGES, TEST_SERVICE_NAME, TestService } from './test-service.js';
import { encodeValue, envelopeOf, Kind, type WireConnection, type WireEnvelope } from './wire.js';

/** What a scenario gets. */
export interface ScenarioContext {
  /** The endpoint under test. */
  readonly endpoint: string;
  /** A client of the test service (public API). */
  readonly client: ServiceClient<typeof TestService>;
  /** CURVE settings, when the endpoint needs them. */
  readonly curve: ClientCurveOptions | undefined;
  /** A fresh raw connection; closed after the scenario. */
  wire(): Promise<WireConnection>;
  /** How long a server may take to show something that should happen (ms). */
  readonly patienceMs: number;
  /** How long to watch for something that must not happen (ms). */
  readonly quietMs: number;
}

/** One scenario: a name and a check that throws (an `Error` whose message says why) on failure. */
export interface Scenario {
  /** Shown on its PASS/FAIL line. */
  readonly name: string;
  /** Changes the server for good (GOAWAY): run last, skipped by `--skip-drain`. */
  readonly drains?: boolean;
  /** The check. */
  run(ctx: ScenarioContext): Promise<void>;
}

const path = (method: string) => `${TEST_SERVICE_NAME}/${method}`;

function expect(ok: boolean, why: string): asserts ok {
  if (!ok) throw new Error(why);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(toJson(a)) === JSON.stringify(toJson(b));
}

function show(value: unknown): string {
  return JSON.stringify(toJson(value));
}

async function failsWith(promise: Promise<unknown>, code: Code): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    const e = RpcError.from(error);
    expect(e.code === code, `expected ${codeName(code)}, got ${codeName(e.code)}: ${e.rawMessage}`);
    return e;
  }
  throw new Error(`expected ${codeName(code)}, the call succeeded`);
}

async function expectEnvelope(
  wire: WireConnection,
  kind: number,
  id: number,
  ms: number,
  what: string,
): Promise<WireEnvelope> {
  const env = await wire.next(envelopeOf(kind, id), ms);
  expect(env !== undefined, `no ${what} within ${ms} ms`);
  return env;
}

async function expectError(
  wire: WireConnection,
  id: number,
  code: Code,
  ms: number,
): Promise<WireEnvelope> {
  const env = await wire.next(
    (e) => e[2] === id && (e[1] === Kind.ERROR || e[1] === Kind.RESPONSE),
    ms,
  );
  expect(env !== undefined, `no answer within ${ms} ms (expected ERROR ${codeName(code)})`);
  expect(env[1] === Kind.ERROR, `expected ERROR ${codeName(code)}, got ${show(env)}`);
  expect(
    env[3] === code,
    `expected ERROR ${codeName(code)}, got code ${String(env[3])}: ${String(env[4])}`,
  );
  return env;
}

let sleepIds = 0;
const sleepId = (label: string) => `${label}-${process.pid}-${Date.now()}-${++sleepIds}`;

const ECHO_VALUE = {
  str: 'héllo, 世界',
  int: 42,
  neg: -7,
  float: 1.5,
  big: 2n ** 60n,
  bytes: new Uint8Array([0, 1, 2, 254, 255]),
  arr: [1, 'a', null, true, false],
  map: { nested: { deep: [{}, []] } },
  date: new Date(1_700_000_000_123),
};

/** Every scenario, in the order they run (the draining one last). */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'unary echo (every value type)',
    async run({ client }) {
      const res = await client.echo(ECHO_VALUE);
      expect(same(res, ECHO_VALUE), `echo returned ${show(res)}`);
    },
  },
  {
    name: 'metadata both ways',
    async run({ client }) {
      const metadata = { 'x-conf-text': 'héllo', 'x-conf-bin': new Uint8Array([0, 1, 255]) };
      let trailers: unknown;
      const res = await client.metadata(
        {},
        {
          metadata,
          onTrailers: (t) => {
            trailers = t;
          },
        },
      );
      for (const [k, v] of Object.entries(metadata)) {
        expect(same(res.metadata[k], v), `the handler saw ${k} = ${show(res.metadata[k])}`);
        const t = (trailers as Record<string, unknown> | undefined)?.[k];
        expect(same(t, v), `trailer ${k} came back as ${show(t)}`);
      }
    },
  },
  ...Array.from({ length: 16 }, (_, i): Scenario => {
    const code = (i + 1) as Code;
    return {
      name: `error ${codeName(code)} (${code}) with details and trailers`,
      async run({ client }) {
        const details = { code, why: ['a', 1] };
        const e = await failsWith(
          client.fail({
            code,
            message: `failed with ${code}`,
            details,
            trailers: { 'x-code': `${code}` },
          }),
          code,
        );
        expect(e.rawMessage === `failed with ${code}`, `message ${JSON.stringify(e.rawMessage)}`);
        expect(same(e.details, details), `details ${show(e.details)}`);
        expect(e.metadata['x-code'] === `${code}`, `trailers ${show(e.metadata)}`);
      },
    };
  }),
  {
    name: 'unknown method is UNIMPLEMENTED',
    async run({ wire, patienceMs }) {
      const w = await wire();
      await w.request(1, path('noSuchMethod'), {});
      await expectError(w, 1, Code.UNIMPLEMENTED, patienceMs);
    },
  },
  {
    name: 'deadline propagation',
    async run({ client }) {
      const { remainingMs } = await client.deadline({}, { timeoutMs: 5000 });
      expect(
        remainingMs !== null && remainingMs > 0 && remainingMs <= 5000,
        `the handler's remaining budget was ${remainingMs} (a 5000 ms call)`,
      );
      const none = await client.deadline({}, { timeoutMs: Number.POSITIVE_INFINITY });
      expect(none.remainingMs === null, `without a deadline the handler saw ${none.remainingMs}`);
    },
  },
  {
    name: 'deadline reaches the handler',
    async run({ client, patienceMs }) {
      const id = sleepId('deadline');
      await failsWith(
        client.sleep({ id, ms: 600_000 }, { timeoutMs: 300 }),
        Code.DEADLINE_EXCEEDED,
      );
      const { status } = await client.status({
        id,
        waitWhile: ['unknown', 'running'],
        waitMs: patienceMs,
      });
      expect(status === 'deadline', `the handler's status after its deadline: ${status}`);
    },
  },
  {
    name: 'cancellation reaches the handler',
    async run({ client, patienceMs }) {
      const id = sleepId('cancel');
      const abort = new AbortController();
      const call = client.sleep({ id, ms: 600_000 }, { signal: abort.signal, timeoutMs: 60_000 });
      const running = await client.status({ id, waitWhile: ['unknown'], waitMs: patienceMs });
      expect(running.status === 'running', `the handler did not start: ${running.status}`);
      abort.abort();
      await failsWith(call, Code.CANCELLED);
      const { status } = await client.status({ id, waitWhile: ['running'], waitMs: patienceMs });
      expect(status === 'cancelled', `the handler's status after CANCEL: ${status}`);
    },
  },
  {
    name: 'server stream of 1000 messages of 100 bytes',
    async run({ client }) {
      let i = 0;
      const call = client.count({ n: 1000, size: 100 });
      for await (const m of call) {
        expect(m.i === i, `message ${i} had i = ${m.i}`);
        expect(m.data.byteLength === 100, `message ${i} had ${m.data.byteLength} bytes`);
        i++;
      }
      expect(i === 1000, `received ${i} messages`);
    },
  },
  {
    name: 'server stream respects credit (server → client)',
    async run({ wire, patienceMs, quietMs }) {
      const w = await wire();
      const isData = envelopeOf(Kind.DATA, 1);
      await w.request(1, path('count'), { n: 100, size: 16 }, { kind: 'server-stream' });
      await w.credit(1, 4, 1 << 20);
      for (const round of [1, 2]) {
        for (let k = 0; k < 4; k++)
          await expectEnvelope(w, Kind.DATA, 1, patienceMs, `DATA ${k + 1} of round ${round}`);
        await new Promise((r) => setTimeout(r, quietMs));
        const extra = w.count(isData);
        expect(
          extra === 0,
          `the server sent ${extra} DATA beyond the ${4 * round} messages of credit granted`,
        );
        if (round === 1) await w.credit(1, 4, 1 << 20);
      }
      await w.cancel(1);
    },
  },
  {
    name: 'client stream counts 1000 chunks',
    async run({ client }) {
      const call = client.total({});
      for (let i = 0; i < 1000; i++) await call.send({ i });
      const res = await call.close();
      expect(res.count === 1000, `the server counted ${res.count}`);
    },
  },
  {
    name: 'client stream credit enforced (client → server)',
    async run({ wire, patienceMs }) {
      const w = await wire();
      await w.request(1, path('hold'), {}, { kind: 'client-stream' });
      const credit = await expectEnvelope(w, Kind.CREDIT, 1, patienceMs, 'initial CREDIT');
      expect(
        credit[3] === HOLD_WINDOW_MESSAGES,
        `initial credit was ${String(credit[3])} messages, the contract says ${HOLD_WINDOW_MESSAGES}`,
      );
      // Twice the window at once: a server that checks its credit fails the call.
      for (let i = 0; i < 2 * HOLD_WINDOW_MESSAGES + 1; i++) await w.data(1, { i });
      await expectError(w, 1, Code.RESOURCE_EXHAUSTED, patienceMs);
    },
  },
  {
    name: 'bidi echo of 100 messages',
    async run({ client }) {
      const call = client.chat({});
      for (let i = 0; i < 100; i++) await call.send({ i });
      call.close();
      let i = 0;
      for await (const m of call) {
        expect(same(m, { i }), `reply ${i} was ${show(m)}`);
        i++;
      }
      expect(i === 100, `received ${i} replies`);
    },
  },
  {
    name: 'pipelining 1000 calls',
    async run({ client }) {
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => client.echo({ i })));
      results.forEach((r, i) => {
        expect(same(r, { i }), `call ${i} returned ${show(r)}`);
      });
    },
  },
  {
    name: 'wrong protocol version is FAILED_PRECONDITION',
    async run({ wire, patienceMs }) {
      const w = await wire();
      await w.sendRaw(encodeValue([2, Kind.REQUEST, 7, path('echo'), 0, null, 'x']));
      await expectError(w, 7, Code.FAILED_PRECONDITION, patienceMs);
    },
  },
  {
    name: 'undecodable payload is INVALID_ARGUMENT',
    async run({ wire, patienceMs }) {
      const w = await wire();
      // [1, 1, 8, path, 0, nil, <ext type 5>]: the header reads, the payload does not.
      const head = encodeValue([1, Kind.REQUEST, 8, path('echo'), 0, null, 0]);
      const bytes = new Uint8Array(head.byteLength - 1 + 3);
      bytes.set(head.subarray(0, head.byteLength - 1));
      bytes.set([0xd4, 0x05, 0x00], head.byteLength - 1);
      await w.sendRaw(bytes);
      await expectError(w, 8, Code.INVALID_ARGUMENT, patienceMs);
    },
  },
  {
    name: 'GOAWAY: drain, refuse new calls, health DRAINING',
    drains: true,
    async run({ wire, patienceMs }) {
      const w = await wire();
      // A running call keeps the server draining (not closed) while we look.
      await w.request(1, path('sleep'), { id: sleepId('drain'), ms: 600_000 });
      await w.request(2, path('drain'), { graceMs: 3000 });
      await expectEnvelope(w, Kind.RESPONSE, 2, patienceMs, 'answer to drain');
      await expectEnvelope(w, Kind.GOAWAY, 0, patienceMs, 'GOAWAY');
      await w.request(3, path('echo'), 'late');
      await expectError(w, 3, Code.UNAVAILABLE, patienceMs);
      await w.request(4, `${HealthService.name}/check`, {});
      const health = await expectEnvelope(w, Kind.RESPONSE, 4, patienceMs, 'health answer');
      const status = (health[4] as { status?: unknown } | null)?.status;
      expect(status === 'DRAINING', `health during the drain: ${String(status)}`);
      // At the end of the grace the running call is cancelled with UNAVAILABLE.
      await expectError(w, 1, Code.UNAVAILABLE, patienceMs + 3000);
    },
  },
];

/** Creates the public-API client the scenarios share. */
export function conformanceClient(
  endpoint: string,
  curve: ClientCurveOptions | undefined,
): ServiceClient<typeof TestService> {
  return createClient(TestService, {
    endpoints: [endpoint],
    waitForReady: true,
    retry: false,
    timeoutMs: 30_000,
    ...(curve === undefined ? {} : { transportOptions: { curve } }),
  });
}
