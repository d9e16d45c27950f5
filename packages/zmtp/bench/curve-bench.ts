/**
 * What CURVE costs with each candidate library, to choose by measurement:
 * - handshake: the X25519 + HSalsa20 precomputation (`crypto_box_beforenm`),
 *   and a whole in-memory client ↔ server handshake with our sessions;
 * - per frame: one XSalsa20-Poly1305 seal + open with the precomputed key,
 *   at 200 B, 16 KiB and 1 MiB.
 * Candidates: node:crypto X25519 (native, built in), @noble/curves x25519 and
 * @noble/ciphers (pure JS, audited), libsodium-wrappers (WASM),
 * sodium-native (native addon). Run: `npx tsx bench/curve-bench.ts` (a few
 * seconds per row; `CURVE_BENCH_MS` sets the time per row, default 400).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { hsalsa, xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { x25519 } from '@noble/curves/ed25519.js';
import sodiumWrappers from 'libsodium-wrappers';
import { boxBeforeNm, curvePublicKeyOf, importCurveSecret } from '../src/curve-box.js';
import { curveKeyPair } from '../src/curve-keys.js';
import { curveClient, curveServer } from '../src/curve-mechanism.js';
import { handshakeInMemory, props } from '../test/curve-harness.js';

interface SodiumNative {
  crypto_scalarmult(q: Buffer, n: Buffer, p: Buffer): void;
  crypto_secretbox_easy(c: Buffer, m: Buffer, n: Buffer, k: Buffer): void;
  crypto_secretbox_open_easy(m: Buffer, c: Buffer, n: Buffer, k: Buffer): boolean;
}
const sodiumNative = createRequire(import.meta.url)('sodium-native') as SodiumNative;
await sodiumWrappers.ready;
const sw = sodiumWrappers;

const MS = Number(process.env.CURVE_BENCH_MS ?? 400);

/**
 * Runs `fn` repeatedly for about MS milliseconds of this process's CPU time;
 * returns CPU µs per call. CPU time rather than wall time, because the
 * machine is shared: preemption by other processes would count otherwise.
 */
function measure(fn: () => void): number {
  for (let i = 0; i < 3; i++) fn();
  let n = 0;
  const start = process.cpuUsage();
  let used = 0;
  while (used < MS * 1000) {
    fn();
    n++;
    const u = process.cpuUsage(start);
    used = u.user + u.system;
  }
  return used / n;
}

const sk = new Uint8Array(randomBytes(32));
const pk = curvePublicKeyOf(new Uint8Array(randomBytes(32)));
const skObj = importCurveSecret(sk);
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

function nobleBeforeNm(s: Uint8Array, p: Uint8Array): Uint8Array {
  const shared = x25519.getSharedSecret(s, p);
  const k = new Uint32Array(shared.buffer.slice(shared.byteOffset, shared.byteOffset + 32));
  const out = new Uint32Array(8);
  hsalsa(SIGMA, k, new Uint32Array(4), out);
  return new Uint8Array(out.buffer);
}

const rows: string[] = [];
const row = (what: string, lib: string, us: number, bytes?: number) => {
  const extra = bytes === undefined ? '' : ` | ${((bytes * 2) / us).toFixed(0)} MB/s (seal+open)`;
  rows.push(
    `| ${what} | ${lib} | ${us < 1000 ? `${us.toFixed(1)} µs` : `${(us / 1000).toFixed(2)} ms`}${extra} |`,
  );
  console.log(rows[rows.length - 1]);
};

console.log('| operation | library | cost |');
console.log('| --- | --- | --- |');
row(
  'beforenm (X25519+HSalsa20)',
  'node:crypto X25519 + noble hsalsa (chosen)',
  measure(() => boxBeforeNm(skObj, pk)),
);
row(
  'beforenm (X25519+HSalsa20)',
  '@noble/curves + @noble/ciphers',
  measure(() => nobleBeforeNm(sk, pk)),
);
row(
  'beforenm (X25519+HSalsa20)',
  'libsodium-wrappers (WASM)',
  measure(() => sw.crypto_box_beforenm(pk, sk)),
);
const nk = Buffer.alloc(32);
const bpk = Buffer.from(pk);
const bsk = Buffer.from(sk);
row(
  'X25519 only (no HSalsa20)',
  'sodium-native crypto_scalarmult',
  measure(() => sodiumNative.crypto_scalarmult(nk, bsk, bpk)),
);

const server = curveKeyPair();
const client = curveKeyPair();
const cf = curveClient({ serverPublicKey: server.publicKey, ...client });
const sf = curveServer(server);
row(
  'whole handshake, client + server (ours)',
  'node:crypto X25519 + libsodium-wrappers',
  measure(() =>
    handshakeInMemory(
      cf({ properties: props('DEALER'), asServer: false }),
      sf({ properties: props('ROUTER'), asServer: true }),
    ),
  ),
);

function pair() {
  const c = cf({ properties: props('DEALER'), asServer: false });
  const s = sf({ properties: props('ROUTER'), asServer: true });
  handshakeInMemory(c, s);
  return { c, s };
}

const key = new Uint8Array(randomBytes(32));
const nonce = new Uint8Array(randomBytes(24));
for (const size of [200, 16 * 1024, 1024 * 1024]) {
  const msg = new Uint8Array(randomBytes(size));
  const label = `seal+open ${size >= 1 << 20 ? '1 MiB' : size >= 1024 ? '16 KiB' : '200 B'}`;
  row(
    label,
    '@noble/ciphers xsalsa20poly1305',
    measure(() => {
      const c = xsalsa20poly1305(key, nonce).encrypt(msg);
      xsalsa20poly1305(key, nonce).decrypt(c);
    }),
    size,
  );
  row(
    label,
    'libsodium-wrappers (WASM, chosen)',
    measure(() => {
      const c = sw.crypto_box_easy_afternm(msg, nonce, key);
      sw.crypto_box_open_easy_afternm(c, nonce, key);
    }),
    size,
  );
  const { c: cs, s: ss } = pair();
  row(
    label,
    'our sessions: encode + decode one frame',
    measure(() => {
      ss.decode(cs.encode({ flags: 0, body: msg }));
    }),
    size,
  );
  const bm = Buffer.from(msg);
  const bn = Buffer.from(nonce);
  const bk = Buffer.from(key);
  const c = Buffer.alloc(size + 16);
  const m = Buffer.alloc(size);
  row(
    label,
    'sodium-native (native addon)',
    measure(() => {
      sodiumNative.crypto_secretbox_easy(c, bm, bn, bk);
      sodiumNative.crypto_secretbox_open_easy(m, c, bn, bk);
    }),
    size,
  );
}
