/**
 * The broker as a process: what `xsmb broker` (@xsmb/cli) and the deprecated
 * `xsmb-pubsub-broker` do once their options are parsed. One implementation,
 * because the JSON lines they print are one contract that scripts parse.
 */
import type { Broker } from './broker.js';

/** Where {@link runBrokerProcess} binds and what it reports. */
export interface BrokerProcessOptions {
  /** Endpoint publishers connect to (port 0: any free port). */
  frontend: string;
  /** Endpoint subscribers connect to. */
  backend: string;
  /** Prints the counters every `statsIntervalMs`; 0 (the default): never. */
  statsIntervalMs?: number;
  /** The broker's CURVE public key, printed with the endpoints; default: none (no CURVE). */
  curvePublicKey?: string | undefined;
  /**
   * Called with one line for each refused handshake
   * (`publisher handshake failed (<endpoint>): <reason>`); default: not reported.
   */
  reportHandshakeFailure?: ((line: string) => void) | undefined;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * Binds `broker` and prints, as JSON lines on stdout, `{"frontend", "backend"}`
 * (plus `"curvePublicKey"`), `{"stats": …}` every `statsIntervalMs`, and at the
 * first SIGINT or SIGTERM `{"stopped": true, "stats": …}` after closing the
 * broker; resolves then. When binding fails, closes the broker and rejects
 * with the bind error.
 */
export async function runBrokerProcess(
  broker: Broker,
  options: BrokerProcessOptions,
): Promise<void> {
  const { reportHandshakeFailure, curvePublicKey, statsIntervalMs = 0 } = options;
  if (reportHandshakeFailure !== undefined)
    broker.on('handshakeFailed', (e) => {
      const who = e.side === 'frontend' ? 'publisher' : 'subscriber';
      reportHandshakeFailure(`${who} handshake failed (${e.endpoint}): ${e.reason}`);
    });
  let frontend: string;
  let backend: string;
  try {
    [frontend, backend] = await broker.listen(options.frontend, options.backend);
  } catch (error) {
    await broker.close();
    throw error;
  }
  print(
    curvePublicKey === undefined ? { frontend, backend } : { frontend, backend, curvePublicKey },
  );
  const timer =
    statsIntervalMs > 0
      ? setInterval(() => print({ stats: broker.stats() }), statsIntervalMs)
      : undefined;
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
  const stats = broker.stats();
  await broker.close();
  print({ stopped: true, stats });
}
