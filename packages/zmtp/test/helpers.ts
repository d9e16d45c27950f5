import * as net from 'node:net';

/** A valid NULL greeting (3.1 unless told), as a raw peer sends it. */
export function greeting(minor = 1, mechanism = 'NULL'): Buffer {
  const g = Buffer.alloc(64);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = minor;
  g.write(mechanism, 12, 'latin1');
  return g;
}

/** A READY command frame with Socket-Type. */
export function ready(socketType: string): Buffer {
  const name = Buffer.from('READY');
  const k = Buffer.from('Socket-Type');
  const v = Buffer.from(socketType);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(v.length);
  const body = Buffer.concat([
    Buffer.from([name.length]),
    name,
    Buffer.from([k.length]),
    k,
    len,
    v,
  ]);
  return Buffer.concat([Buffer.from([4, body.length]), body]);
}

/** Connects a raw TCP socket to a tcp:// endpoint. */
export function rawConnect(endpoint: string): Promise<net.Socket> {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint)!;
  return new Promise((resolve, reject) => {
    // Reading (resume) is what lets the socket see the server's FIN and close.
    const s = net.connect(Number(m[2]), m[1]!, () => resolve(s));
    s.resume();
    s.once('error', reject);
  });
}

/** Resolves when the socket closes. */
export function closed(s: net.Socket): Promise<void> {
  return new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));
}

/** Open file descriptors of this process. */
export async function fdCount(): Promise<number> {
  const { readdirSync } = await import('node:fs');
  return readdirSync('/proc/self/fd').length;
}
