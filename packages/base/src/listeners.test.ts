import { describe, expect, it } from 'vitest';
import { Listeners } from './listeners.js';

interface Hooks {
  onA?(event: { n: number }): void;
  onB?(event: string): void;
}

describe('Listeners', () => {
  it('calls every listener that has the hook, in order', () => {
    const seen: string[] = [];
    const listeners = new Listeners<Hooks>([
      { onA: (e) => seen.push(`1:${e.n}`) },
      { onB: (e) => seen.push(`2:${e}`) },
      { onA: (e) => seen.push(`3:${e.n}`), onB: (e) => seen.push(`3:${e}`) },
    ]);
    listeners.emit('onA', { n: 7 });
    listeners.emit('onB', 'x');
    expect(seen).toEqual(['1:7', '3:7', '2:x', '3:x']);
  });

  it('has() says whether anyone listens', () => {
    const listeners = new Listeners<Hooks>([{ onA() {} }]);
    expect(listeners.has('onA')).toBe(true);
    expect(listeners.has('onB')).toBe(false);
    expect(new Listeners<Hooks>().has('onA')).toBe(false);
  });

  it('a throwing listener is counted and does not stop the others', () => {
    const seen: number[] = [];
    const listeners = new Listeners<Hooks>([
      {
        onA() {
          throw new Error('boom');
        },
      },
      { onA: (e) => seen.push(e.n) },
    ]);
    expect(() => listeners.emit('onA', { n: 1 })).not.toThrow();
    listeners.emit('onA', { n: 2 });
    expect(seen).toEqual([1, 2]);
    expect(listeners.errors).toBe(2);
  });

  it('calls class methods with their instance as this', () => {
    class Counter implements Hooks {
      count = 0;
      onA(e: { n: number }): void {
        this.count += e.n;
      }
    }
    const c = new Counter();
    const listeners = new Listeners<Hooks>([c]);
    expect(listeners.has('onA')).toBe(true);
    listeners.emit('onA', { n: 2 });
    listeners.emit('onA', { n: 3 });
    expect(c.count).toBe(5);
  });

  it('keeps its own copy of the list', () => {
    const list: Hooks[] = [];
    const listeners = new Listeners<Hooks>(list);
    list.push({ onA() {} });
    expect(listeners.has('onA')).toBe(false);
  });
});
