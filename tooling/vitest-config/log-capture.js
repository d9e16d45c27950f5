import pino from 'pino';

/**
 * A real pino logger (level `debug`, no time/pid/hostname, so lines compare
 * exactly) writing to memory; `lines` holds the parsed JSON lines.
 */
export function captureLogs() {
  const lines = [];
  const logger = pino(
    { level: 'debug', base: undefined, timestamp: false },
    { write: (line) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}
