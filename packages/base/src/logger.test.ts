import { describe, expect, it } from 'vitest';
import {
  childLogger,
  type LogFields,
  type Logger,
  ProblemLog,
  silentLogger,
  withLogger,
} from './logger.js';

/** A logger that records its lines. */
function recorder(): { logger: Logger; lines: [string, LogFields, string][] } {
  const lines: [string, LogFields, string][] = [];
  const at =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push([level, fields, message]);
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

describe('childLogger', () => {
  it('merges the bindings into each line when the logger has no child()', () => {
    const { logger, lines } = recorder();
    const child = childLogger(childLogger(logger, { component: 'transport' }), { endpoint: 'e' });
    child.info({ event: 'connected' }, 'connected');
    expect(lines).toEqual([
      ['info', { component: 'transport', endpoint: 'e', event: 'connected' }, 'connected'],
    ]);
  });

  it("uses the logger's own child() and keeps the silent logger silent", () => {
    const { logger, lines } = recorder();
    const withChild: Logger = { ...logger, child: (b) => childLogger(logger, { ...b, own: true }) };
    childLogger(withChild, { a: 1 }).warn({}, 'x');
    expect(lines).toEqual([['warn', { a: 1, own: true }, 'x']]);
    expect(childLogger(silentLogger, { a: 1 })).toBe(silentLogger);
  });
});

describe('ProblemLog', () => {
  it('logs the first few one by one, then at powers of ten, then the rest at flush', () => {
    const { logger, lines } = recorder();
    const problems = new ProblemLog(logger, { first: 2 });
    for (let i = 0; i < 12; i++) problems.report('malformed', 'malformed envelope', () => ({ i }));
    problems.flush();
    problems.flush();
    expect(lines).toEqual([
      ['warn', { event: 'malformed', count: 1, i: 0 }, 'malformed envelope'],
      ['warn', { event: 'malformed', count: 2, i: 1 }, 'malformed envelope'],
      [
        'warn',
        { event: 'malformed', count: 10, suppressed: 8, summary: true },
        'malformed envelope (10 so far)',
      ],
      [
        'warn',
        { event: 'malformed', count: 12, suppressed: 2, summary: true },
        'malformed envelope (12 so far)',
      ],
    ]);
  });

  it('does not build fields for the silent logger', () => {
    const problems = new ProblemLog(silentLogger);
    problems.report('x', 'x', () => {
      throw new Error('built');
    });
    problems.flush();
  });
});

describe('withLogger', () => {
  it('adds the logger unless the options name their own or there is none', () => {
    const { logger } = recorder();
    const own = recorder().logger;
    expect(withLogger(undefined, logger)).toEqual({ logger });
    const options: { a: number; logger?: Logger } = { a: 1 };
    expect(withLogger(options, logger)).toEqual({ a: 1, logger });
    const mine = { logger: own };
    expect(withLogger(mine, logger)).toBe(mine);
    expect(withLogger(undefined, undefined)).toBeUndefined();
  });
});
