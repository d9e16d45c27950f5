/**
 * The transport's log lines: its own events ({@link TransportEvents}) turned
 * into structured lines on the `logger` option. Attached once per transport
 * by the public factories, through `on()` like any listener, so both engines
 * and the engine-choosing wrappers log alike and nothing is attached when
 * the option is absent (no listener, no event objects built).
 */

import { childLogger, type Logger, ProblemLog, silentLogger } from '@xsmb/base';
import type { PeerId, TransportBase } from './types.js';

/** What the transport is, for the lines it writes. */
export interface EventLogSetup {
  /** The `logger` option; nothing is attached when absent or silent. */
  readonly logger: Logger | undefined;
  /** Which side: servers name their peers by routing id, the others by address. */
  readonly role: 'client' | 'server' | 'publisher' | 'subscriber';
  /** The security mechanism, named in refused handshakes. */
  readonly mechanism: 'NULL' | 'CURVE';
}

/**
 * A server's {@link PeerId} as it appears in log lines: routing ids are
 * binary, hex keeps the lines readable and greppable.
 */
export function formatPeerId(id: PeerId): string {
  return Buffer.from(id, 'latin1').toString('hex');
}

/**
 * Logs the events of `transport`:
 * - `connected` (info): `endpoint`, `address` (the peer's), and on a server
 *   `peer` (the routing id in hex).
 * - `disconnected` (info, debug when closed locally): the same and `reason`.
 * - `handshake-refused` (warn): `endpoint`, `address` when known,
 *   `mechanism`, `reason`, `code`.
 * - `dropped` (warn, the first few then summaries, see `ProblemLog`):
 *   `reason`, `count` (running total), `dropped` (this event's messages).
 *
 * Every line carries `component: 'transport'` and `event`.
 */
export function logTransportEvents(transport: TransportBase, setup: EventLogSetup): void {
  const { role, mechanism } = setup;
  if (setup.logger === undefined || setup.logger === silentLogger) return;
  const logger = childLogger(setup.logger, { component: 'transport' });
  const server = role === 'server';
  const who = (e: { peer?: string; address?: string }): Record<string, string> => {
    const fields: Record<string, string> = {};
    const address = server ? e.address : (e.address ?? e.peer);
    if (address !== undefined) fields.address = address;
    if (server && e.peer !== undefined) fields.peer = formatPeerId(e.peer);
    return fields;
  };
  transport.on('connected', (e) => {
    logger.info({ event: 'connected', endpoint: e.endpoint, ...who(e) }, `${role} connected`);
  });
  transport.on('disconnected', (e) => {
    const fields = { event: 'disconnected', endpoint: e.endpoint, ...who(e), reason: e.reason };
    if (e.reason === 'closed') logger.debug(fields, `${role} disconnected`);
    else logger.info(fields, `${role} disconnected`);
  });
  transport.on('handshakeFailed', (e) => {
    const fields: Record<string, string> = { event: 'handshake-refused', endpoint: e.endpoint };
    if (e.address !== undefined) fields.address = e.address;
    fields.mechanism = mechanism;
    fields.reason = e.reason;
    if (e.code !== undefined) fields.code = e.code;
    logger.warn(fields, 'handshake refused');
  });
  const drops = new ProblemLog(logger);
  transport.on('dropped', (e) => {
    const dropped = e.count ?? 1;
    drops.report(
      'dropped',
      'messages dropped',
      () => {
        const fields: Record<string, unknown> = { reason: e.reason, dropped };
        if (e.peer !== undefined) fields.peer = server ? formatPeerId(e.peer) : e.peer;
        return fields;
      },
      dropped,
    );
  });
}
