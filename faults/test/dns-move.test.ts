// A server that comes back with another address behind the same DNS name.
// The client knows only the name (`dns:///probe.xsmb.test:7000`, asked of
// a dnsmasq on loopback); the TTL is long, so what finds the new address is
// the re-resolution the client does when a connection that was up is lost.

import { Code, createClient } from '@xsmb/rpc';
import { within } from '@xsmb/vitest-config/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Dnsmasq,
  dnsmasqAvailable,
  startDnsmasq,
} from '../../packages/transport/test/resolver-dnsmasq.js';
import { Probe } from '../src/contract.js';
import { Lab, labAvailable, pingUntilOk, report, slowStream } from './lab.js';

const SECTION = 'server moves behind its DNS name';
const RPC_PORT = 7000;
const DOMAIN = 'xsmb.test';
const NAME = `probe.${DOMAIN}`;
const available = labAvailable && dnsmasqAvailable();
if (labAvailable && !available) console.warn('[faults] dns-move skipped: dnsmasq is missing');

describe.skipIf(!available)('a server that comes back with another address behind its name', () => {
  const lab = new Lab();
  let dns: Dnsmasq;
  beforeAll(async () => {
    // An hour: the TTL alone would not show the move within the test.
    dns = await startDnsmasq({ domain: DOMAIN, ttlSeconds: 3600 });
  });
  afterAll(async () => {
    await dns?.close();
  });

  it('the lost connection makes the client resolve again and call the new address', async () => {
    const hostA = await lab.host();
    const hostB = await lab.host();
    const serverA = await lab.server(hostA, { rpcPort: RPC_PORT });
    await dns.setHosts([[hostA.address, NAME]]);
    const events: string[] = [];
    const client = createClient(Probe, {
      endpoints: [`dns:///${NAME}:${RPC_PORT}`],
      dns: { servers: [dns.server] },
      // Changes only: a DNS query timing out on a loaded machine is harmless here.
      onEndpointEvent: (e) => {
        if (e.type !== 'resolutionFailed') events.push(`${e.type} ${e.endpoint}`);
      },
    });
    lab.defer(() => client.close());
    await pingUntilOk(client, 30_000);
    const stream = await slowStream(client);

    // B starts at its own address and the name points there; the client,
    // holding an hour-long answer, does not know yet.
    await lab.server(hostB, { rpcPort: RPC_PORT });
    await dns.setHosts([[hostB.address, NAME]]);

    // A vanishes (no FIN, no RST).
    const vanishedAt = performance.now();
    await hostA.partition();
    await serverA.kill();
    await hostA.destroy();

    const streamEnd = await within(stream.ended, 20_000, 'the stream on A to end');
    expect(streamEnd.code).toBe(Code.UNAVAILABLE);
    const firstOkAt = await pingUntilOk(client, 30_000);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, n) => client.ping({ n }, { timeoutMs: 5_000 })),
    );
    expect(answers.map((a) => a.n)).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(events).toEqual([
      `added tcp://${hostA.address}:${RPC_PORT}`,
      `added tcp://${hostB.address}:${RPC_PORT}`,
      `removed tcp://${hostA.address}:${RPC_PORT}`,
    ]);

    report(SECTION, 'host vanished -> stream failed, ms', (streamEnd.at - vanishedAt).toFixed(0));
    report(
      SECTION,
      'connection lost -> first success at the new address, ms',
      (firstOkAt - streamEnd.at).toFixed(0),
    );
  });
});
