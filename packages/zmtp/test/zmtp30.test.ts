import * as net from 'node:net';
import { Resources, waitFor } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { createSub, createXPub } from '../src/index.js';
import { greeting, rawConnect, ready } from './helpers.js';

const res = new Resources();
afterEach(() => res.closeAll());

function frame(body: Buffer, more = false): Buffer {
  return Buffer.concat([Buffer.from([more ? 1 : 0, body.length]), body]);
}

describe('ZMTP 3.0 peers', () => {
  it('XPUB takes 0x01/0x00 subscription messages from a 3.0 SUB', async () => {
    const xpub = res.add(createXPub());
    const ep = await xpub.bind('tcp://127.0.0.1:0');
    const events: string[] = [];
    xpub.on('subscribe', (p) => events.push(`+${Buffer.from(p).toString()}`));
    xpub.on('unsubscribe', (p) => events.push(`-${Buffer.from(p).toString()}`));
    const s = await rawConnect(ep);
    res.defer(() => s.destroy());
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.write(Buffer.concat([greeting(0), ready('SUB'), frame(Buffer.from('\x01ab'))]));
    await waitFor(() => events.length === 1, 'subscribe');
    xpub.send([Buffer.from('abc')]);
    xpub.send([Buffer.from('xyz')]);
    await waitFor(
      () => Buffer.concat(chunks).includes(Buffer.from([0, 3, ...Buffer.from('abc')])),
      'message',
    );
    expect(Buffer.concat(chunks).includes(Buffer.from('xyz'))).toBe(false);
    s.write(frame(Buffer.from('\x00ab')));
    await waitFor(() => events.length === 2, 'unsubscribe');
    expect(events).toEqual(['+ab', '-ab']);
  });

  it('SUB sends subscriptions as messages to a 3.0 publisher', async () => {
    const got: Buffer[] = [];
    let peer: net.Socket | undefined;
    const server = net.createServer((s) => {
      peer = s;
      s.on('data', (c: Buffer) => got.push(c));
      s.write(Buffer.concat([greeting(0), ready('PUB')]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    res.defer(() => new Promise<void>((r) => server.close(() => r())));
    res.defer(() => peer?.destroy());
    const sub = res.add(createSub());
    sub.subscribe('q');
    sub.connect(`tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    await waitFor(
      () => Buffer.concat(got).includes(Buffer.from([0, 2, 1, 0x71])),
      '0x01 q message',
    );
    sub.unsubscribe('q');
    await waitFor(
      () => Buffer.concat(got).includes(Buffer.from([0, 2, 0, 0x71])),
      '0x00 q message',
    );
  });
});
