/** Peer: raw zeromq.js, one zmq message per logical message. */
import { createZmqSubject } from './lib/zmq-peer.js';

/** zmq-raw: DEALER/ROUTER, one zmq message per request/reply/stream message; PUB/SUB one per send. */
export const subject = createZmqSubject({
  name: 'zmq-raw',
  description:
    'zeromq.js DEALER/ROUTER, one zmq message per logical message, msgpackr envelopes; XPUB/SUB one message per send',
  batch: false,
});
