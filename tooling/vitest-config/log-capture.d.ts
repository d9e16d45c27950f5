import type { Logger } from 'pino';

/** A parsed pino line: `level` (number), `msg`, and the structured fields. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/**
 * A real pino logger (level `debug`, no time/pid/hostname, so lines compare
 * exactly) writing to memory; `lines` holds the parsed JSON lines.
 */
export declare function captureLogs(): { logger: Logger; lines: LogLine[] };
