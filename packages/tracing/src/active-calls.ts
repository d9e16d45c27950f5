import type { Attributes, MeterProvider } from '@opentelemetry/api';
import { TracingMetric } from './semantic-conventions.js';
import type { Side } from './status.js';

/** The in-flight count of one method. */
export interface ActiveSlot {
  count: number;
  readonly attributes: Attributes;
}

/**
 * Calls in flight per method, as plain counters read by one observable
 * instrument at collection time. A synchronous UpDownCounter would cost two
 * measurements per call (+1, −1), each hashing its attributes in the SDK;
 * this costs two integer updates. One table per meter provider and side, so
 * that several clients (or servers) sharing a provider add up rather than
 * overwrite each other's observations.
 */
export class ActiveCalls {
  readonly #slots = new Map<string, ActiveSlot>();

  /** The slot of `path`, created on first use. */
  slot(path: string, attributes: Attributes): ActiveSlot {
    let slot = this.#slots.get(path);
    if (!slot) {
      slot = { count: 0, attributes };
      this.#slots.set(path, slot);
    }
    return slot;
  }

  /** Every slot, for the observable callback. */
  slots(): IterableIterator<ActiveSlot> {
    return this.#slots.values();
  }
}

const tables = new WeakMap<MeterProvider, { client?: ActiveCalls; server?: ActiveCalls }>();

/** The in-flight table of `side` on `provider`, registering its observable instrument once. */
export function activeCallsOf(
  provider: MeterProvider,
  side: Side,
  meterName: string,
  meterVersion: string,
): ActiveCalls {
  let byProvider = tables.get(provider);
  if (!byProvider) {
    byProvider = {};
    tables.set(provider, byProvider);
  }
  let table = byProvider[side];
  if (!table) {
    const calls = new ActiveCalls();
    table = calls;
    byProvider[side] = calls;
    provider
      .getMeter(meterName, meterVersion)
      .createObservableUpDownCounter(
        side === 'client' ? TracingMetric.CLIENT_ACTIVE_CALLS : TracingMetric.SERVER_ACTIVE_CALLS,
        { description: `xSMB ${side} calls in flight.`, unit: '{call}' },
      )
      .addCallback((result) => {
        for (const slot of calls.slots()) result.observe(slot.count, slot.attributes);
      });
  }
  return table;
}
