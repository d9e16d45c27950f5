/** The connect-use-close frame of every client half. */
import type { Closable } from '../types.js';

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
