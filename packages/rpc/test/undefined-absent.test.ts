import { Resources } from '@xsmb/vitest-config/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClient, createServer, defineService, unary } from '../src/index.js';

// An undefined property is absent on the wire (the codec's default), so the
// peer's `.optional()` field accepts it, in both directions.
const Search = defineService('test.Search', {
  find: unary({
    input: z.object({ query: z.string(), filter: z.string().optional() }),
    output: z.object({ hits: z.number(), note: z.string().optional() }),
  }),
});

const resources = new Resources();
afterEach(() => resources.closeAll());

async function start(handler: (req: { query: string; filter?: string | undefined }) => object) {
  const server = createServer();
  resources.defer(() => server.close({ graceMs: 0 }));
  server.add(Search, {
    find: (req) => handler(req) as { hits: number; note?: string },
  });
  const [endpoint] = await server.listen('tcp://127.0.0.1:0');
  return resources.add(createClient(Search, { endpoints: [endpoint] }));
}

describe('undefined is absent', () => {
  it('an .optional() input field accepts { filter: undefined } (the handler sees it absent)', async () => {
    const seen: object[] = [];
    const client = await start((req) => {
      seen.push(req);
      return { hits: req.query.length };
    });
    expect(await client.find({ query: 'abc', filter: undefined }, { timeoutMs: 10_000 })).toEqual({
      hits: 3,
    });
    expect(seen).toEqual([{ query: 'abc' }]);
    expect('filter' in seen[0]!).toBe(false);
    // A set value still travels.
    await client.find({ query: 'x', filter: 'f' }, { timeoutMs: 10_000 });
    expect(seen[1]).toEqual({ query: 'x', filter: 'f' });
  });

  it('a handler returning { note: undefined } passes an .optional() output schema', async () => {
    const client = await start((req) => ({ hits: req.query.length, note: undefined }));
    const res = await client.find({ query: 'ab' }, { timeoutMs: 10_000 });
    expect(res).toEqual({ hits: 2 });
    expect('note' in res).toBe(false);
  });
});
