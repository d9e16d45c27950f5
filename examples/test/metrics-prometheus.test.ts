import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsRecipe, startMetricsRecipe } from '../src/metrics-prometheus.js';

/** The value of the sample `name{labels…}` whose labels include every `want` pair. */
function sample(text: string, name: string, want: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (Object.entries(want).every(([k, v]) => labels.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

describe('Prometheus metrics recipe', () => {
  let recipe: MetricsRecipe | undefined;
  afterEach(async () => {
    await recipe?.close();
    recipe = undefined;
  });

  it('exposes the call metrics of both sides on one scrape', async () => {
    recipe = await startMetricsRecipe(7, 3);
    const res = await fetch(recipe.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const method = { rpc_method: 'recipe.Greeter/hello' };
    // Prometheus names: dots in metric and label names become underscores.
    for (const side of ['server', 'client']) {
      const name = `rpc_${side}_call_duration_count`;
      expect(sample(text, name, { ...method, rpc_response_status_code: 'OK' }), name).toBe(7);
      expect(
        sample(text, name, { ...method, rpc_response_status_code: 'INVALID_ARGUMENT' }),
        name,
      ).toBe(3);
    }
    expect(sample(text, 'rpc_xsmb_server_active_calls', method)).toBe(0);
  });
});
