/**
 * The pub/sub broker: N publishers and M subscribers meet at one well-known
 * pair of addresses. Publishers `connect` to its frontend (an XSUB),
 * subscribers to its backend (an XPUB). ZeroMQ messages pass through
 * unchanged (topic frame, burst), so sequence numbers and publisher ids keep
 * working end to end; subscriptions flow back to every publisher, so
 * publishers still only send what someone subscribed to.
 *
 * It is `@xsmb/transport`'s broker, re-exported: it moves frames and knows
 * nothing of envelopes. With `curve` it encrypts both sides and can hold an
 * allow-list of publisher and of subscriber keys. Run it as a process with
 * the `xsmb-pubsub-broker` command (see README).
 */
export type { Broker, BrokerEvents, BrokerOptions, BrokerSide, BrokerStats } from '@xsmb/transport';
export { createBroker } from '@xsmb/transport';
