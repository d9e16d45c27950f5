import { afterEach, describe, expect, it } from 'vitest';
import { createClientTransport } from '../src/index.js';
import { Resources, startFixture, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

/** Sends `text` and waits for its echo. */
async function roundTrip(
  client: ReturnType<typeof createClientTransport>,
  text: string,
): Promise<string> {
  await client.send(Buffer.from(text));
  const it = client[Symbol.asyncIterator]();
  const { value } = await within(it.next(), 10_000, `echo of ${text}`);
  return Buffer.from(value!).toString();
}

describe('peer failure', () => {
  it('a server killed with SIGKILL is reported as disconnected within a second', async () => {
    const server = startFixture('echo-server.mjs', ['tcp://127.0.0.1:0'], resources);
    const { endpoint } = (await server.nextLine()) as { endpoint: string };
    const client = resources.add(createClientTransport(endpoint));
    await client.ready({ timeoutMs: 10_000 });
    expect(await roundTrip(client, 'before')).toBe('before');

    const disconnected = new Promise<number>((resolve) => {
      client.on('disconnected', () => resolve(performance.now()));
    });
    const killedAt = performance.now();
    server.child.kill('SIGKILL');
    const at = await within(disconnected, 10_000, 'disconnected event');
    expect(at - killedAt).toBeLessThan(1000);
    expect(client.connected).toBe(false);
  });

  it('a hung server (SIGSTOP) is reported as disconnected within the heartbeat timeout', async () => {
    const server = startFixture('echo-server.mjs', ['tcp://127.0.0.1:0', '100', '300'], resources);
    const { endpoint } = (await server.nextLine()) as { endpoint: string };
    const client = resources.add(
      createClientTransport(endpoint, { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 }),
    );
    await client.ready({ timeoutMs: 10_000 });
    expect(await roundTrip(client, 'before')).toBe('before');

    const disconnected = new Promise<number>((resolve) => {
      client.on('disconnected', () => resolve(performance.now()));
    });
    const stoppedAt = performance.now();
    server.child.kill('SIGSTOP');
    const at = await within(disconnected, 10_000, 'disconnected event');
    // A PING goes out within one interval, the timeout runs from there; allow
    // generous scheduling slack on a loaded CI box.
    expect(at - stoppedAt).toBeLessThan(100 + 300 + 1000);
  });

  it('reconnects to a server restarted on the same port and messages flow again', async () => {
    const first = startFixture('echo-server.mjs', ['tcp://127.0.0.1:0'], resources);
    const { endpoint } = (await first.nextLine()) as { endpoint: string };
    const client = resources.add(createClientTransport(endpoint, { reconnectIntervalMs: 50 }));
    await client.ready({ timeoutMs: 10_000 });
    expect(await roundTrip(client, 'one')).toBe('one');

    const down = new Promise<void>((resolve) => client.on('disconnected', () => resolve()));
    first.child.kill('SIGKILL');
    await within(down, 10_000, 'disconnected');
    await first.exited;
    // Sent while the server is down: queued, delivered after the reconnect.
    await client.send(Buffer.from('queued'));

    const up = new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const second = startFixture('echo-server.mjs', [endpoint], resources);
    expect(((await second.nextLine()) as { endpoint: string }).endpoint).toBe(endpoint);
    await within(up, 10_000, 'reconnected');
    const it = client[Symbol.asyncIterator]();
    const { value } = await within(it.next(), 10_000, 'echo of the queued message');
    expect(Buffer.from(value!).toString()).toBe('queued');
    expect(await roundTrip(client, 'two')).toBe('two');
  });
});
