import type { CallWire, WireObserver } from './call.js';

/**
 * The engines' side of a {@link CallWire}: they set `endpoint` and report
 * each stream message; observers register through `observe`.
 */
export class Wire implements CallWire {
  endpoint: string | undefined;
  #observers: WireObserver[] | undefined;

  constructor(endpoint?: string) {
    this.endpoint = endpoint;
  }

  observe(observer: WireObserver): void {
    this.#observers ??= [];
    this.#observers.push(observer);
  }

  /** Reports one stream message to the observers (a throwing observer is skipped: observers never break a call). */
  notify(direction: 'in' | 'out', message: unknown): void {
    const observers = this.#observers;
    if (!observers) return;
    for (const observer of observers) {
      try {
        observer(direction, message);
      } catch {
        // Observe-only, as listeners.
      }
    }
  }
}
