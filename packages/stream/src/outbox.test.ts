import { describe, expect, it } from 'vitest';
import { FakeLink } from '../test/support/fake-link.js';
import { CreditSender } from './credit-sender.js';
import { Outbox } from './outbox.js';
import { Code, Kind, RpcError } from './rpc-kit.js';

function setup(maxPending = 4) {
  const link = new FakeLink();
  const credit = new CreditSender(link);
  const overflows: RpcError[] = [];
  const outbox = new Outbox<number>(maxPending, (e) => overflows.push(e));
  let drained = 0;
  const attach = () =>
    outbox.attach(
      (v) => credit.send(v),
      credit,
      () => void drained++,
    );
  const sent = () => link.of(Kind.DATA).map((e) => e[3]);
  return { link, credit, outbox, overflows, attach, sent, drained: () => drained };
}

/** Lets settled promises run their callbacks. */
const ticks = () => new Promise<void>((r) => setImmediate(r));

describe('Outbox', () => {
  it('sends at once while credit lasts, then holds sends until credit returns', async () => {
    const { credit, outbox, attach, sent } = setup();
    attach();
    credit.grant(2, 1000);
    let settled = 0;
    const sends = [1, 2, 3, 4].map((v) => outbox.send(v).then(() => void settled++));
    await ticks();
    expect(sent()).toEqual([1, 2]);
    expect(settled).toBe(2);
    credit.grant(2, 1000);
    await Promise.all(sends);
    expect(sent()).toEqual([1, 2, 3, 4]);
  });

  it('sends queued before attach() in order once attached and granted', async () => {
    const { credit, outbox, attach, sent } = setup();
    const sends = [outbox.send(1), outbox.send(2)];
    attach();
    expect(sent()).toEqual([]);
    credit.grant(10, 1000);
    await Promise.all(sends);
    expect(sent()).toEqual([1, 2]);
  });

  it('is bounded: one send past maxPending fails the whole stream, once', async () => {
    const { outbox, overflows, attach } = setup(2);
    attach();
    const waiting = [outbox.send(1), outbox.send(2)];
    const third = outbox.send(3);
    await expect(third).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    for (const w of waiting)
      await expect(w).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    await expect(outbox.send(4)).rejects.toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    expect(overflows).toHaveLength(1);
  });

  it('close(): onDrained runs once everything queued was sent; later sends reject', async () => {
    const { credit, outbox, attach, sent, drained } = setup();
    attach();
    const pending = outbox.send(1);
    outbox.close();
    expect(drained()).toBe(0);
    await expect(outbox.send(2)).rejects.toMatchObject({ code: Code.FAILED_PRECONDITION });
    credit.grant(1, 1000);
    await pending;
    expect(sent()).toEqual([1]);
    expect(drained()).toBe(1);
  });

  it('fail(): queued and later sends reject with the error; a failed credit fails it too', async () => {
    const { outbox, attach } = setup();
    attach();
    const pending = outbox.send(1);
    const error = new RpcError(Code.CANCELLED, 'cancelled');
    outbox.fail(error);
    await expect(pending).rejects.toBe(error);
    await expect(outbox.send(2)).rejects.toBe(error);

    const other = setup();
    other.attach();
    const waiting = other.outbox.send(1);
    other.credit.fail(error);
    await expect(waiting).rejects.toBe(error);
  });

  it('a send the full connection holds keeps later sends back until it is admitted', async () => {
    const { link, credit, outbox, attach, sent } = setup();
    attach();
    credit.grant(10, 1000);
    link.full = true;
    let firstDone = false;
    const first = outbox.send(1).then(() => {
      firstDone = true;
    });
    const second = outbox.send(2);
    await ticks();
    expect(firstDone).toBe(false);
    expect(sent()).toEqual([1]);
    link.admit();
    await Promise.all([first, second]);
    expect(sent()).toEqual([1, 2]);
  });

  it('iterated (an interceptor wrapped it): yields sends in order, ends at close()', async () => {
    const { outbox } = setup();
    const sends = [outbox.send(1), outbox.send(2)];
    const got: number[] = [];
    const reading = (async () => {
      for await (const v of outbox) got.push(v);
    })();
    await Promise.all(sends);
    await outbox.send(3);
    outbox.close();
    await reading;
    expect(got).toEqual([1, 2, 3]);
  });
});
