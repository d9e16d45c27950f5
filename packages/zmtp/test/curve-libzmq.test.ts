/**
 * CURVE against real libzmq (zeromq.js 6), both ways, through the small
 * harness in curve-harness.ts.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { Resources, waitFor, within } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { Dealer, Router, curveKeyPair as zmqKeyPair } from 'zeromq';
import { decodeCommand, encodeCommand } from '../src/command.js';
import { curveKeyPair, z85Encode } from '../src/curve-keys.js';
import { curveClient, curveServer } from '../src/curve-mechanism.js';
import { ZmtpError } from '../src/errors.js';
import { connectPeer, type HarnessPeer, listenPeers } from './curve-harness.js';

const res = new Resources();
afterEach(() => res.closeAll());
const dec = new TextDecoder();

function portOf(endpoint: string | null): number {
  return Number(endpoint?.split(':').pop());
}

async function libzmqRouter(keys = zmqKeyPair()) {
  const router = res.add(
    new Router({ linger: 0, curveServer: true, curveSecretKey: keys.secretKey }),
  );
  await router.bind('tcp://127.0.0.1:*');
  return { router, port: portOf(router.lastEndpoint), keys };
}

function ourClient(
  port: number,
  serverPublicKey: string | Uint8Array,
  pair = curveKeyPair(),
): HarnessPeer {
  const peer = connectPeer(port, curveClient({ serverPublicKey, ...pair }));
  res.defer(() => peer.close());
  return peer;
}

function libzmqDealer(serverKey: string, keys = zmqKeyPair()) {
  return res.add(
    new Dealer({
      linger: 0,
      curveServerKey: serverKey,
      curvePublicKey: keys.publicKey,
      curveSecretKey: keys.secretKey,
    }),
  );
}

/** Waits for the first handshake outcome event on a zeromq.js socket. */
async function handshakeEvent(socket: Dealer): Promise<string> {
  for (;;) {
    const e = await socket.events.receive();
    if (e.type.startsWith('handshake')) return e.type;
  }
}

function concat(chunks: Buffer[]): Buffer {
  return Buffer.concat(chunks);
}

describe('our CURVE client ↔ libzmq CURVE ROUTER', () => {
  it('handshakes, then 1,000 messages both ways in order, 1 MiB, multipart', async () => {
    const { router, port, keys } = await libzmqRouter();
    const peer = ourClient(port, keys.publicKey);
    const hs = await within(peer.handshake, 10_000, 'handshake');
    expect(dec.decode(hs.peerProperties.get('socket-type'))).toBe('ROUTER');

    for (let i = 0; i < 1000; i++) peer.send([`to-router ${i}`]);
    let id: Buffer | undefined;
    for (let i = 0; i < 1000; i++) {
      const [from, body] = await within(router.receive(), 10_000, `router message ${i}`);
      id = from;
      expect(body?.toString()).toBe(`to-router ${i}`);
    }
    for (let i = 0; i < 1000; i++) await router.send([id!, `to-client ${i}`]);
    for (let i = 0; i < 1000; i++) {
      const msg = await within(peer.recv(), 10_000, `client message ${i}`);
      expect(msg.map((p) => dec.decode(p))).toEqual([`to-client ${i}`]);
    }

    const big = new Uint8Array(randomBytes(1 << 20));
    peer.send([big]);
    const [, gotBig] = await within(router.receive(), 10_000, '1 MiB at router');
    expect(Buffer.compare(gotBig!, Buffer.from(big))).toBe(0);
    await router.send([id!, Buffer.from(big)]);
    expect((await within(peer.recv(), 10_000, '1 MiB at client'))[0]).toEqual(big);

    peer.send(['a', new Uint8Array(0), 'c']);
    const multi = await within(router.receive(), 10_000, 'multipart at router');
    expect(multi.slice(1).map((b) => b.toString())).toEqual(['a', '', 'c']);
    await router.send([id!, 'x', 'y', 'z']);
    expect(
      (await within(peer.recv(), 10_000, 'multipart at client')).map((p) => dec.decode(p)),
    ).toEqual(['x', 'y', 'z']);
  }, 60_000);

  it('carries commands inside the box both ways (our PING, libzmq PONG and PINGs)', async () => {
    const keys = zmqKeyPair();
    const router = res.add(
      new Router({
        linger: 0,
        curveServer: true,
        curveSecretKey: keys.secretKey,
        heartbeatInterval: 20,
      }),
    );
    await router.bind('tcp://127.0.0.1:*');
    const peer = ourClient(portOf(router.lastEndpoint), keys.publicKey);
    await within(peer.handshake, 10_000, 'handshake');
    // PING: TTL (u16, tenths of a second) then a context libzmq echoes in its PONG.
    peer.sendCommand(encodeCommand('PING', Uint8Array.of(0, 0, 0x63, 0x74, 0x78)));
    const names = () => peer.commands.map((c) => decodeCommand(c));
    await waitFor(() => names().some((c) => c.name === 'PONG'), 'PONG from libzmq');
    const pong = names().find((c) => c.name === 'PONG')!;
    expect(dec.decode(pong.data)).toBe('ctx');
    await waitFor(() => names().some((c) => c.name === 'PING'), 'heartbeat PING from libzmq');
    // Data still flows after commands.
    peer.send(['after']);
    expect((await within(router.receive(), 10_000, 'data after commands'))[1]?.toString()).toBe(
      'after',
    );
  }, 30_000);

  it('puts no plaintext on the wire', async () => {
    const { router, port, keys } = await libzmqRouter();
    const peer = ourClient(port, keys.publicKey);
    await within(peer.handshake, 10_000, 'handshake');
    const secret = 'PLAINTEXT-CANARY-0123456789';
    peer.send([secret]);
    const [id] = await within(router.receive(), 10_000, 'canary at router');
    await router.send([id!, `${secret}-back`]);
    await within(peer.recv(), 10_000, 'canary back');
    const wire = concat([...peer.wireOut, ...peer.wireIn]);
    expect(wire.includes(secret)).toBe(false);
    expect(wire.includes('Socket-Type')).toBe(false); // metadata is boxed too
    expect(wire.includes('MESSAGE')).toBe(true);
  }, 30_000);

  it('is refused with the wrong server key (libzmq closes without READY)', async () => {
    const { port } = await libzmqRouter();
    const peer = ourClient(port, zmqKeyPair().publicKey);
    const err = await within(
      peer.handshake.then(
        () => undefined,
        (e: unknown) => e,
      ),
      10_000,
      'refusal',
    );
    expect(err).toBeInstanceOf(ZmtpError);
    expect(['CLOSED', 'HANDSHAKE', 'PEER_ERROR']).toContain((err as ZmtpError).code);
  }, 30_000);
});

describe('libzmq CURVE DEALER ↔ our CURVE server', () => {
  it('handshakes, yields the client key, carries messages both ways', async () => {
    const serverKeys = curveKeyPair();
    const clientKeys = zmqKeyPair();
    const srv = await listenPeers(curveServer(serverKeys));
    res.defer(() => srv.close());
    const dealer = libzmqDealer(z85Encode(serverKeys.publicKey), clientKeys);
    dealer.connect(`tcp://127.0.0.1:${srv.port}`);
    await waitFor(() => srv.peers.length === 1, 'connection');
    const peer = srv.peers[0]!;
    const hs = await within(peer.handshake, 10_000, 'handshake');
    expect(z85Encode(hs.peerPublicKey!)).toBe(clientKeys.publicKey);
    expect(dec.decode(hs.peerProperties.get('socket-type'))).toBe('DEALER');

    for (let i = 0; i < 1000; i++) await dealer.send(`to-server ${i}`);
    for (let i = 0; i < 1000; i++) {
      expect(
        (await within(peer.recv(), 10_000, `server message ${i}`)).map((p) => dec.decode(p)),
      ).toEqual([`to-server ${i}`]);
    }
    for (let i = 0; i < 1000; i++) peer.send([`to-dealer ${i}`]);
    for (let i = 0; i < 1000; i++) {
      const [body] = await within(dealer.receive(), 10_000, `dealer message ${i}`);
      expect(body?.toString()).toBe(`to-dealer ${i}`);
    }
    await dealer.send(['p', 'q']);
    expect((await within(peer.recv(), 10_000, 'multipart')).map((p) => dec.decode(p))).toEqual([
      'p',
      'q',
    ]);
    const big = randomBytes(1 << 20);
    await dealer.send(big);
    expect(Buffer.compare(Buffer.from((await within(peer.recv(), 10_000, '1 MiB'))[0]!), big)).toBe(
      0,
    );
  }, 60_000);

  it('refuses a libzmq client with the wrong server key (HANDSHAKE)', async () => {
    const serverKeys = curveKeyPair();
    const srv = await listenPeers(curveServer(serverKeys));
    res.defer(() => srv.close());
    const dealer = libzmqDealer(zmqKeyPair().publicKey);
    dealer.connect(`tcp://127.0.0.1:${srv.port}`);
    await waitFor(() => srv.peers.length >= 1, 'connection');
    const err = await within(
      srv.peers[0]!.handshake.then(
        () => undefined,
        (e: unknown) => e,
      ),
      10_000,
      'refusal',
    );
    expect((err as ZmtpError).code).toBe('HANDSHAKE');
  }, 30_000);

  it('refuses a client key not on the allow-list with ERROR 400; libzmq reports an auth failure', async () => {
    const serverKeys = curveKeyPair();
    const allowed = zmqKeyPair();
    const srv = await listenPeers(
      curveServer({ ...serverKeys, allowedClientKeys: [allowed.publicKey] }),
    );
    res.defer(() => srv.close());
    const dealer = libzmqDealer(z85Encode(serverKeys.publicKey));
    const event = handshakeEvent(dealer);
    dealer.connect(`tcp://127.0.0.1:${srv.port}`);
    await waitFor(() => srv.peers.length >= 1, 'connection');
    const peer = srv.peers[0]!;
    const err = await within(
      peer.handshake.then(
        () => undefined,
        (e: unknown) => e,
      ),
      10_000,
      'refusal',
    );
    expect((err as ZmtpError).code).toBe('UNAUTHORIZED');
    expect(concat(peer.wireOut).includes('\x05ERROR\x03400')).toBe(true);
    expect(await within(event, 10_000, 'libzmq handshake event')).toBe('handshake:error:auth');

    // The allowed key gets in.
    const ok = libzmqDealer(z85Encode(serverKeys.publicKey), allowed);
    ok.connect(`tcp://127.0.0.1:${srv.port}`);
    await waitFor(() => srv.peers.length >= 2, 'second connection');
    const hs = await within(
      srv.peers[srv.peers.length - 1]!.handshake,
      10_000,
      'allowed handshake',
    );
    expect(z85Encode(hs.peerPublicKey!)).toBe(allowed.publicKey);
  }, 30_000);

  it('our client refused by our allow-list sees PEER_ERROR', async () => {
    const serverKeys = curveKeyPair();
    const srv = await listenPeers(curveServer({ ...serverKeys, allowedClientKeys: [] }));
    res.defer(() => srv.close());
    const peer = ourClient(srv.port, serverKeys.publicKey);
    const err = await within(
      peer.handshake.then(
        () => undefined,
        (e: unknown) => e,
      ),
      10_000,
      'refusal',
    );
    expect((err as ZmtpError).code).toBe('PEER_ERROR');
    expect((err as ZmtpError).message).toContain('400');
  }, 30_000);

  it('puts no plaintext on the wire (captured through a TCP relay)', async () => {
    const serverKeys = curveKeyPair();
    const srv = await listenPeers(curveServer(serverKeys));
    res.defer(() => srv.close());
    const captured: Buffer[] = [];
    const relay = net.createServer((inbound) => {
      const outbound = net.connect(srv.port, '127.0.0.1');
      inbound.on('data', (d) => {
        captured.push(d);
        outbound.write(d);
      });
      outbound.on('data', (d) => {
        captured.push(d);
        inbound.write(d);
      });
      inbound.on('close', () => outbound.destroy());
      outbound.on('close', () => inbound.destroy());
      inbound.on('error', () => {});
      outbound.on('error', () => {});
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    res.defer(() => relay.close());
    const dealer = libzmqDealer(z85Encode(serverKeys.publicKey));
    dealer.connect(`tcp://127.0.0.1:${(relay.address() as net.AddressInfo).port}`);
    await waitFor(() => srv.peers.length === 1, 'connection');
    const peer = srv.peers[0]!;
    await within(peer.handshake, 10_000, 'handshake');
    const secret = 'RELAY-CANARY-abcdefghijklmnop';
    await dealer.send(secret);
    expect(dec.decode((await within(peer.recv(), 10_000, 'canary'))[0])).toBe(secret);
    peer.send([`${secret}-reply`]);
    expect((await within(dealer.receive(), 10_000, 'reply'))[0]?.toString()).toBe(
      `${secret}-reply`,
    );
    const wire = concat(captured);
    expect(wire.includes(secret)).toBe(false);
    expect(wire.includes('DEALER')).toBe(false);
  }, 30_000);
});
