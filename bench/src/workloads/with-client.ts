/** The connect-use-close frame of the client halves. */
import type { Params } from '../harness/ipc.js';
import type { Closable, ConnectOptions } from '../types.js';
import type { ClientControl, ClientOutcome } from './workload.js';

/**
 * Awaits `connecting`, runs `use` with the client and closes the client
 * afterwards, also when `use` throws.
 */
export async function withClient<C extends Closable, T>(
  connecting: Promise<C>,
  use: (client: C) => Promise<T>,
): Promise<T> {
  const client = await connecting;
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

/** Something that connects a client of type `C` (a subject's RPC implementation). */
export interface Connector<C> {
  connect(endpoint: string, options: ConnectOptions): Promise<C>;
}

/** A workload's client half, for implementations of type `I`. */
export type ClientHalf<I> = (
  impl: I,
  endpoint: string,
  params: Params,
  control: ClientControl,
) => Promise<ClientOutcome>;

/**
 * A client half that connects with one call in flight (`maxInFlight: 1`),
 * runs `body` and closes the client afterwards.
 */
export function oneCallClientHalf<C extends Closable>(
  body: (client: C, params: Params, control: ClientControl) => Promise<ClientOutcome>,
): ClientHalf<Connector<C>> {
  return (impl, endpoint, params, control) =>
    withClient(impl.connect(endpoint, { maxInFlight: 1 }), (client) =>
      body(client, params, control),
    );
}
