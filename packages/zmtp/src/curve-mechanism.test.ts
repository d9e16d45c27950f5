import { describe, expect, it } from 'vitest';
import { handshakeInMemory, props } from '../test/curve-harness.js';
import { encodeCommand } from './command.js';
import { curveKeyPair, z85Encode } from './curve-keys.js';
import { curveClient, curveServer } from './curve-mechanism.js';
import { ZmtpError } from './errors.js';
import type { MechanismSession } from './mechanism.js';

const server = curveKeyPair();
const client = curveKeyPair();
const enc = new TextEncoder();

function sessions(
  serverOpts: Partial<Parameters<typeof curveServer>[0]> = {},
  serverPublicKey: Uint8Array | string = server.publicKey,
): { c: MechanismSession; s: MechanismSession } {
  const c = curveClient({
    serverPublicKey,
    publicKey: client.publicKey,
    secretKey: client.secretKey,
  })({
    properties: props('DEALER'),
    asServer: false,
  });
  const s = curveServer({
    publicKey: server.publicKey,
    secretKey: server.secretKey,
    ...serverOpts,
  })({
    properties: props('ROUTER'),
    asServer: true,
  });
  return { c, s };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ZmtpError) return err.code;
    return `not a ZmtpError: ${String(err)}`;
  }
  return 'no error';
}

describe('CURVE sessions in memory', () => {
  it('handshakes, exchanges metadata and the client key, and carries frames with flags', () => {
    const { c, s } = sessions();
    const r = handshakeInMemory(c, s);
    expect(new TextDecoder().decode(r.client.peerProperties.get('socket-type'))).toBe('ROUTER');
    expect(new TextDecoder().decode(r.server.peerProperties.get('socket-type'))).toBe('DEALER');
    expect(r.server.peerPublicKey).toEqual(client.publicKey);
    for (const flags of [0, 1, 4, 5]) {
      const wire = c.encode({ flags, body: enc.encode(`hello ${flags}`) });
      expect(wire.flags).toBe(0); // as libzmq 4.3.5 sends MESSAGE
      expect(new TextDecoder().decode(wire.body.subarray(0, 8))).toBe('\x07MESSAGE');
      const back = s.decode(wire);
      expect(back).toEqual({ flags, body: enc.encode(`hello ${flags}`) });
    }
    const big = crypto.getRandomValues(new Uint8Array(65536));
    expect(c.decode(s.encode({ flags: 0, body: big })).body).toEqual(big);
    expect(c.decode(s.encode({ flags: 0, body: new Uint8Array(0) })).body).toEqual(
      new Uint8Array(0),
    );
  });

  it('accepts MESSAGE frames with the COMMAND bit on the wire (RFC 26 style)', () => {
    const { c, s } = sessions();
    handshakeInMemory(c, s);
    const wire = c.encode({ flags: 1, body: enc.encode('x') });
    expect(s.decode({ flags: 4, body: wire.body })).toEqual({ flags: 1, body: enc.encode('x') });
  });

  it('takes Z85 keys', () => {
    const c = curveClient({
      serverPublicKey: z85Encode(server.publicKey),
      publicKey: z85Encode(client.publicKey),
      secretKey: z85Encode(client.secretKey),
    })({ properties: props('DEALER'), asServer: false });
    const s = curveServer({
      publicKey: z85Encode(server.publicKey),
      secretKey: z85Encode(server.secretKey),
    })({
      properties: props('ROUTER'),
      asServer: true,
    });
    expect(handshakeInMemory(c, s).server.peerPublicKey).toEqual(client.publicKey);
  });

  it('refuses a mismatched key pair at configuration', () => {
    expect(() =>
      curveClient({
        serverPublicKey: server.publicKey,
        publicKey: server.publicKey,
        secretKey: client.secretKey,
      }),
    ).toThrow(RangeError);
  });

  it('fails the handshake with HANDSHAKE when the client has the wrong server key', () => {
    const { c, s } = sessions({}, curveKeyPair().publicKey);
    expect(codeOf(() => handshakeInMemory(c, s))).toBe('HANDSHAKE');
  });

  it('refuses a client not on the allow-list, or refused or thrown by authorize: UNAUTHORIZED', () => {
    const other = curveKeyPair().publicKey;
    expect(
      codeOf(() => {
        const { c, s } = sessions({ allowedClientKeys: [other] });
        handshakeInMemory(c, s);
      }),
    ).toBe('UNAUTHORIZED');
    expect(
      codeOf(() => {
        const { c, s } = sessions({ authorize: () => false });
        handshakeInMemory(c, s);
      }),
    ).toBe('UNAUTHORIZED');
    expect(
      codeOf(() => {
        const { c, s } = sessions({
          authorize: () => {
            throw new Error('boom');
          },
        });
        handshakeInMemory(c, s);
      }),
    ).toBe('UNAUTHORIZED');
    // Allowed by both: admitted, and authorize saw the client's key.
    let seen: Uint8Array | undefined;
    const { c, s } = sessions({
      allowedClientKeys: [z85Encode(client.publicKey)],
      authorize: (k) => {
        seen = k;
        return true;
      },
    });
    handshakeInMemory(c, s);
    expect(seen).toEqual(client.publicKey);
  });

  it('the client reports a server ERROR as PEER_ERROR', () => {
    const { c } = sessions();
    c.start();
    let err: unknown;
    try {
      c.onCommand(encodeCommand('ERROR', Uint8Array.of(3, 52, 48, 48)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ZmtpError);
    expect((err as ZmtpError).code).toBe('PEER_ERROR');
    expect((err as ZmtpError).message).toContain('400');
  });

  it('rejects replayed and decreasing short nonces, and tampered boxes', () => {
    const { c, s } = sessions();
    handshakeInMemory(c, s);
    const m1 = c.encode({ flags: 0, body: enc.encode('one') });
    const m2 = c.encode({ flags: 0, body: enc.encode('two') });
    expect(s.decode(m2).body).toEqual(enc.encode('two'));
    expect(codeOf(() => s.decode(m1))).toBe('PROTOCOL'); // older nonce
    expect(codeOf(() => s.decode(m2))).toBe('PROTOCOL'); // replay
    const m3 = c.encode({ flags: 0, body: enc.encode('three') });
    const bad = m3.body.slice();
    bad[bad.length - 1]! ^= 1;
    expect(codeOf(() => s.decode({ flags: 0, body: bad }))).toBe('PROTOCOL');
    expect(s.decode(m3).body).toEqual(enc.encode('three')); // a forged frame did not move the window
  });

  it('rejects a replayed HELLO or INITIATE and commands out of order', () => {
    const { c, s } = sessions();
    const hello = c.start().send[0]!;
    const welcome = s.onCommand(hello).send[0]!;
    expect(codeOf(() => s.onCommand(hello))).toBe('PROTOCOL');
    const { c: c2, s: s2 } = sessions();
    const hello2 = c2.start().send[0]!;
    const initiate2 = c2.onCommand(s2.onCommand(hello2).send[0]!).send[0]!;
    s2.onCommand(initiate2);
    expect(codeOf(() => s2.onCommand(initiate2))).toBe('PROTOCOL');
    // A cookie from another connection does not open here.
    const { c: c3, s: s3 } = sessions();
    s3.onCommand(c3.start().send[0]!);
    expect(codeOf(() => s3.onCommand(initiate2))).toBe('HANDSHAKE');
    expect(welcome.length).toBe(168);
  });

  it('encode/decode before the handshake is a PROTOCOL error', () => {
    const { c, s } = sessions();
    expect(codeOf(() => c.encode({ flags: 0, body: new Uint8Array(1) }))).toBe('PROTOCOL');
    expect(codeOf(() => s.decode({ flags: 0, body: new Uint8Array(40) }))).toBe('PROTOCOL');
  });
});

/** Deterministic PRNG so a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  let b = src.slice();
  if (kind === 0)
    b = b.subarray(0, Math.floor(r() * b.length)); // truncate
  else if (kind === 1)
    for (let i = 0; i < 1 + r() * 4; i++)
      b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
  else if (kind === 2)
    b[Math.floor(r() * Math.min(b.length, 16))] = Math.floor(r() * 256); // header
  else if (kind === 3) {
    const extra = crypto.getRandomValues(new Uint8Array(Math.floor(r() * 40)));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b);
    out.set(extra, b.length);
    b = out;
  } else b = crypto.getRandomValues(new Uint8Array(Math.floor(r() * 300)));
  return b;
}

describe('CURVE fuzz', () => {
  it('20k+ mutated handshake commands and MESSAGE frames end in a value or a ZmtpError', () => {
    const r = rng(0xc0ffee);
    const outcomes = new Map<string, number>();
    const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
    const check = (fn: () => unknown) => {
      try {
        fn();
        count('value');
      } catch (err) {
        if (!(err instanceof ZmtpError)) throw err;
        count(err.code);
      }
    };
    // Handshake commands: a fresh pair of sessions per template, many mutations each.
    for (let round = 0; round < 16; round++) {
      const { c, s } = sessions();
      const hello = c.start().send[0]!;
      const welcome = s.onCommand(hello).send[0]!;
      const initiate = c.onCommand(welcome).send[0]!;
      const ready = s.onCommand(initiate).send[0]!;
      for (let i = 0; i < 30; i++) {
        // Each mutated command goes to a session waiting for exactly that command.
        const sh = sessions();
        sh.c.start();
        check(() => sh.s.onCommand(mutate(hello, r)));
        const sw = sessions();
        sw.c.start();
        check(() => sw.c.onCommand(mutate(welcome, r)));
        check(() => sw.c.onCommand(mutate(ready, r)));
      }
      for (let i = 0; i < 15; i++) {
        const si = sessions();
        const w = si.s.onCommand(si.c.start().send[0]!).send[0]!;
        const init = si.c.onCommand(w).send[0]!;
        check(() => si.s.onCommand(mutate(init, r)));
      }
    }
    // MESSAGE frames.
    const { c, s } = sessions();
    handshakeInMemory(c, s);
    for (let i = 0; i < 12000; i++) {
      const wire = c.encode({
        flags: i & 1,
        body: crypto.getRandomValues(new Uint8Array(i % 100)),
      });
      const m = mutate(wire.body, r);
      check(() => s.decode({ flags: 0, body: m }));
      check(() => c.decode({ flags: 0, body: m }));
    }
    const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(20000);
    expect(outcomes.get('PROTOCOL')).toBeGreaterThan(0);
    expect(outcomes.get('HANDSHAKE')).toBeGreaterThan(0);
  }, 120_000);
});
