/**
 * c2s-stream: the client streams M messages (~192 B each) to the server,
 * which checks each and replies once at the end with the count. Messages per
 * second (until the reply arrives) and CPU per message.
 */
import { withTimeout } from '../harness/time.js';
import { makeMessage, type UploadSummary } from '../payload.js';
import type { ClientStreamClient } from '../types.js';
import { COUNTED_STREAM, countedClientHalf } from './counted-stream.js';
import type { Workload } from './workload.js';

/** Sends `count` messages on one client stream and checks the server's summary. */
async function checkedUpload(
  client: ClientStreamClient,
  count: number,
  endAt: number,
): Promise<void> {
  const call = client.clientStream();
  let sent = 0;
  for (; sent < count; sent++) {
    const wait = call.send(makeMessage(sent));
    if (wait) {
      await wait;
      if (performance.now() > endAt)
        throw new Error(`client stream: ${sent} of ${count} sent by the deadline`);
    }
  }
  const reply = (await withTimeout(
    call.finish(),
    Math.max(1, endAt - performance.now()),
    'client stream reply',
  )) as UploadSummary | null;
  if (reply?.count !== count || reply.bad !== 0) {
    throw new Error(`client stream: server saw ${JSON.stringify(reply)}, expected ${count} good`);
  }
}

/** The c2s-stream workload. */
export const c2sStream: Workload<'c2s-stream'> = {
  name: 'c2s-stream',
  description: 'client streams M messages of 192 B, one reply at the end; msg/s',
  ...COUNTED_STREAM,
  client: countedClientHalf(checkedUpload),
};
