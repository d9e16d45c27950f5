// Type-level tests of `on` (checked by `pnpm typecheck`): each @ts-expect-error
// must stay an error.
import type { DisconnectReason } from './events.js';
import { createPublisher } from './publisher.js';
import { createSubscriber } from './subscriber.js';

const pub = createPublisher();
const sub = createSubscriber();

const off: () => void = pub.on('handshakeFailed', (e) => {
  const reason: string = e.reason;
  const code: string | undefined = e.code;
  void [reason, code];
});
off();
sub.on('disconnected', (e) => {
  const reason: DisconnectReason = e.reason;
  const endpoint: string = e.endpoint;
  void [reason, endpoint];
});
sub.on('connected', (e) => {
  const peer: string | undefined = e.peer;
  // @ts-expect-error `connected` has no reason
  void [peer, e.reason];
});
// @ts-expect-error `dropped` is the transport's, not forwarded
pub.on('dropped', () => {});
// @ts-expect-error subscribers have no allow-list to change
sub.setAllowedClientKeys([]);
pub.setAllowedClientKeys(['key']);
