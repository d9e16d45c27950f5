/** Peer: raw zeromq.js with per-tick coalescing of up to 64 messages per frame. */
import { createZmqSubject } from './lib/zmq-peer.js';

/** zmq-batched: as zmq-raw, but ≤64 queued messages go in one frame (u32 BE length prefixes). */
export const subject = createZmqSubject({
  name: 'zmq-batched',
  description:
    'zeromq.js DEALER/ROUTER, messages queued in one tick coalesced (≤64, u32 BE length prefixes) into one frame; XPUB/SUB 64 per zmq message',
  batch: true,
});
