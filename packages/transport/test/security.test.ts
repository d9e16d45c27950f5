import { afterEach, describe, expect, it } from 'vitest';
import {
  createClientTransport,
  createServerTransport,
  generateKeyPair,
  z85Decode,
} from '../src/index.js';
import { ZapAuthenticator } from '../src/zap-authenticator.js';
import { bindAddress, firstFailure, Resources, waitFor, within } from './helpers.js';

const resources = new Resources();
afterEach(() => resources.closeAll());

describe('CURVE and the allow-list', () => {
  it('generateKeyPair returns 40-character Z85 keys of 32 bytes', () => {
    const { publicKey, secretKey } = generateKeyPair();
    expect(publicKey).toHaveLength(40);
    expect(z85Decode(publicKey)).toHaveLength(32);
    expect(z85Decode(secretKey)).toHaveLength(32);
    expect(publicKey).not.toBe(secretKey);
  });

  it('encrypted traffic flows with the right server key', async () => {
    const serverKeys = generateKeyPair();
    const clientKeys = generateKeyPair();
    const server = resources.add(createServerTransport({ curve: serverKeys }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const client = resources.add(
      createClientTransport(endpoint, {
        curve: { serverPublicKey: serverKeys.publicKey, ...clientKeys },
      }),
    );
    await client.ready({ timeoutMs: 10_000 });
    await client.send(Buffer.from('secret'));
    const { value } = await within(server[Symbol.asyncIterator]().next(), 10_000, 'request');
    expect(Buffer.from(value!.message).toString()).toBe('secret');
    await server.send(value!.peer, Buffer.from('reply'));
    const reply = await within(client[Symbol.asyncIterator]().next(), 10_000, 'reply');
    expect(Buffer.from(reply.value!).toString()).toBe('reply');
  });

  it('a client with the wrong server key gets nothing through and a handshakeFailed', async () => {
    const serverKeys = generateKeyPair();
    const server = resources.add(createServerTransport({ curve: serverKeys }));
    const endpoint = await server.listen(bindAddress('tcp'));
    const serverFailure = firstFailure(server);
    const client = resources.add(
      createClientTransport(endpoint, {
        curve: { serverPublicKey: generateKeyPair().publicKey, ...generateKeyPair() },
      }),
    );
    const failure = firstFailure(client);
    await client.send(Buffer.from('should not arrive'));
    const e = await within(failure, 10_000, 'client handshakeFailed');
    expect(e.reason).toMatch(/protocol error/);
    const s = await within(serverFailure, 10_000, 'server handshakeFailed');
    expect(s.code).toBe('ERR_ZMTP_CRYPTOGRAPHIC');
    expect(s.reason).toMatch(/wrong server public key/);
    expect(client.connected).toBe(false);
    expect(server.stats().zmqIn).toBe(0);
    expect(server.stats().handshakeFailures).toBeGreaterThan(0);
  });

  it('an allow-list admits listed keys, refuses others, and can be updated at runtime', async () => {
    const serverKeys = generateKeyPair();
    const allowed = generateKeyPair();
    const other = generateKeyPair();
    const server = resources.add(
      createServerTransport({ curve: serverKeys, allowedClientKeys: [allowed.publicKey] }),
    );
    const endpoint = await server.listen(bindAddress('tcp'));
    const curveFor = (keys: typeof allowed) => ({
      curve: { serverPublicKey: serverKeys.publicKey, ...keys },
    });

    const refused = resources.add(createClientTransport(endpoint, curveFor(other)));
    const refusedReady = refused.ready().catch((e: unknown) => e);
    const failure = await within(firstFailure(refused), 10_000, 'refused handshake');
    // libzmq does not retry a refused key, so ready() fails instead of hanging.
    expect(await within(refusedReady, 10_000, 'ready() of the refused client')).toMatchObject({
      code: 'HANDSHAKE',
    });
    expect(failure.code).toBe('400');
    expect(failure.reason).toMatch(/allow-list/);
    expect(server.stats().authDenied).toBeGreaterThan(0);

    const admitted = resources.add(createClientTransport(endpoint, curveFor(allowed)));
    await admitted.ready({ timeoutMs: 10_000 });
    await admitted.send(Buffer.from('in'));
    const it = server[Symbol.asyncIterator]();
    const { value } = await within(it.next(), 10_000, 'message from the allowed client');
    expect(Buffer.from(value!.message).toString()).toBe('in');

    server.setAllowedClientKeys([allowed.publicKey, other.publicKey]);
    const now = resources.add(createClientTransport(endpoint, curveFor(other)));
    await now.ready({ timeoutMs: 10_000 });
    await now.send(Buffer.from('now in'));
    const next = await within(it.next(), 10_000, 'message from the newly allowed client');
    expect(Buffer.from(next.value!.message).toString()).toBe('now in');
  });

  it('fails closed: with the authenticator gone, not even an allowed key gets in', async () => {
    const serverKeys = generateKeyPair();
    const allowed = generateKeyPair();
    const server = resources.add(
      createServerTransport({
        // The ZAP authenticator exists only on the libzmq engine.
        engine: 'libzmq',
        curve: serverKeys,
        allowedClientKeys: [allowed.publicKey],
        // A handshake whose ZAP request went to the handler as it closed is
        // never answered; this bounds how long until it fails.
        handshakeTimeoutMs: 500,
      }),
    );
    const endpoint = await server.listen(bindAddress('tcp'));
    const authenticator = ZapAuthenticator.current();
    expect(authenticator).toBeDefined();
    authenticator!.close();

    const client = resources.add(
      createClientTransport(endpoint, {
        curve: { serverPublicKey: serverKeys.publicKey, ...allowed },
      }),
    );
    const serverFailure = firstFailure(server);
    await client.send(Buffer.from('must not arrive'));
    await within(firstFailure(client), 10_000, 'client handshakeFailed');
    await within(serverFailure, 10_000, 'server handshakeFailed');
    expect(client.connected).toBe(false);
    expect(server.stats().zmqIn).toBe(0);
  });

  it('the shared authenticator stops reading with its last server', async () => {
    const serverKeys = generateKeyPair();
    // The ZAP authenticator is libzmq's; the zmtp engine checks keys in its handshake.
    const a = createServerTransport({ engine: 'libzmq', curve: serverKeys, allowedClientKeys: [] });
    const b = createServerTransport({ engine: 'libzmq', curve: serverKeys });
    const auth = ZapAuthenticator.current();
    await waitFor(() => auth?.active === true, 'the authenticator to serve');
    await a.close();
    expect(auth!.active).toBe(true);
    await b.close();
    // Idle: bound (so a new server can use it at once) but reading nothing,
    // which lets the process exit.
    expect(auth!.active).toBe(false);
    expect(ZapAuthenticator.current()).toBe(auth);
    const c = resources.add(createServerTransport({ engine: 'libzmq', curve: serverKeys }));
    expect(c.closed).toBe(false);
    await waitFor(() => auth!.active, 'the authenticator to serve again');
  });

  it('rejects malformed keys and an allow-list without CURVE', () => {
    expect(() => createServerTransport({ curve: { publicKey: 'x', secretKey: 'y' } })).toThrow(
      TypeError,
    );
    expect(() => createServerTransport({ allowedClientKeys: [] })).toThrow(TypeError);
  });
});
