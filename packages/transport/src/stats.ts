/** The counters every transport starts with. */

import type { TransportStats } from './types.js';

/** Fresh {@link TransportStats}, all zero. */
export function newStats(): TransportStats {
  return {
    messagesOut: 0,
    messagesIn: 0,
    zmqOut: 0,
    zmqIn: 0,
    bursts: 0,
    queueDepth: 0,
    drops: 0,
    wakeupRescues: 0,
  };
}
