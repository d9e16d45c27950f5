/**
 * s2c-stream: the server streams M messages (~192 B each) to the client as
 * fast as the subject's flow control lets it; the client checks every
 * message. Messages per second and CPU per message.
 */
import { checkedServerStream } from './checked-server-stream.js';
import { COUNTED_STREAM, countedClientHalf } from './counted-stream.js';
import type { Workload } from './workload.js';

/** The s2c-stream workload. */
export const s2cStream: Workload<'s2c-stream'> = {
  name: 's2c-stream',
  description: 'server streams M messages of 192 B; msg/s',
  ...COUNTED_STREAM,
  client: countedClientHalf(checkedServerStream),
};
