// A server host that vanishes mid-stream (no FIN, no RST: its packets stop,
// its process is killed, its namespace and link are deleted), and a server
// that comes back on another host with another address. The client knows
// both addresses from the start; dns-move.test.ts has it find the new one
// behind a DNS name instead.

import { Code, codeName, RpcError } from '@xsmb/rpc';
import { within } from '@xsmb/vitest-config/test-helpers';
import { describe, expect, it } from 'vitest';
import { Lab, labAvailable, pingUntilOk, report, slowStream } from './lab.js';

const SECTION = 'host vanishes';
const HEARTBEAT_TIMEOUT_MS = 3_000;
const RPC_PORT = 7000;

describe.skipIf(!labAvailable)('a server host that vanishes mid-stream', () => {
  const lab = new Lab();

  it('the stream fails by the heartbeat timeout; calls move to the host that comes back elsewhere', async () => {
    const hostA = await lab.host();
    const hostB = await lab.host();
    const serverA = await lab.server(hostA, { rpcPort: RPC_PORT });
    const endpointB = `tcp://${hostB.address}:${RPC_PORT}`;
    const client = lab.client([serverA.rpc, endpointB], { waitForReady: false });
    // A's connection is up once a call succeeds (B is still dark).
    await pingUntilOk(client, 30_000);
    const stream = await slowStream(client);

    // A vanishes: first its packets stop (so its death sends nothing), then
    // the process and the host go.
    const vanishedAt = performance.now();
    await hostA.partition();
    await serverA.kill();
    await hostA.destroy();

    const streamEnd = await within(
      stream.ended,
      HEARTBEAT_TIMEOUT_MS + 10_000,
      'the stream to end',
    );
    expect(streamEnd.code).toBe(Code.UNAVAILABLE);
    const streamFailedAfter = streamEnd.at - vanishedAt;
    expect(streamFailedAfter).toBeLessThan(HEARTBEAT_TIMEOUT_MS + 3_000);

    // Neither host answers now: calls fail fast, none hangs.
    const t0 = performance.now();
    const error = await client.ping({ n: 1 }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]).toContain((error as RpcError).code);
    const failedIn = performance.now() - t0;

    // B comes up at its own address; the client connects by itself.
    const startedAt = performance.now();
    await lab.server(hostB, { rpcPort: RPC_PORT });
    const listeningAt = performance.now();
    const firstOkAt = await pingUntilOk(client, 30_000);
    // Then every call succeeds on B.
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, n) => client.ping({ n }, { timeoutMs: 5_000 })),
    );
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));

    report(
      SECTION,
      'stream failed after the host vanished, ms',
      `${streamFailedAfter.toFixed(0)} (${codeName(streamEnd.code as Code)})`,
    );
    report(
      SECTION,
      'a call with no host left failed in, ms',
      `${failedIn.toFixed(0)} (${codeName((error as RpcError).code)})`,
    );
    report(
      SECTION,
      'new host (other address) listening -> first success, ms',
      `${(firstOkAt - listeningAt).toFixed(0)} (process start ${(listeningAt - startedAt).toFixed(0)} ms)`,
    );
  });
});
