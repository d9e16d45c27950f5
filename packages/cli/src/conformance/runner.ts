/** Runs the conformance scenarios against an endpoint. */

import type { ClientCurveOptions } from '@xsmb/transport';
import { conformanceClient, SCENARIOS, type ScenarioContext } from './scenarios.js';
import { WireConnection } from './wire.js';

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** CURVE settings for the endpoint. Default: none. */
  curve?: ClientCurveOptions | undefined;
  /** Skip the GOAWAY scenario, which shuts the server down. Default `false`. */
  skipDrain?: boolean;
  /** Only the scenarios whose name contains this text. Default: all. */
  only?: string | undefined;
  /** How long a server may take to show what should happen, ms. Default 5000. */
  patienceMs?: number;
  /** How long to watch for what must not happen (credit overruns), ms. Default 300. */
  quietMs?: number;
  /** Bound on one scenario, ms. Default 60000. */
  scenarioTimeoutMs?: number;
  /** Called with each result as it is known. */
  onResult?: (result: ScenarioResult) => void;
}

/** The outcome of one scenario. */
export interface ScenarioResult {
  /** The scenario's name. */
  name: string;
  /** Passed? */
  ok: boolean;
  /** Why it failed. */
  error?: string;
  /** How long it took, ms. */
  ms: number;
}

/** Runs every scenario (the draining one last) and returns the results in order. */
export async function runConformance(
  endpoint: string,
  options: ConformanceOptions = {},
): Promise<ScenarioResult[]> {
  const client = conformanceClient(endpoint, options.curve);
  const scenarios = SCENARIOS.filter(
    (s) =>
      (options.only === undefined || s.name.includes(options.only)) &&
      !(s.drains === true && options.skipDrain === true),
  );
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      const opened: WireConnection[] = [];
      const ctx: ScenarioContext = {
        endpoint,
        client,
        curve: options.curve,
        patienceMs: options.patienceMs ?? 5000,
        quietMs: options.quietMs ?? 300,
        async wire() {
          const w = await WireConnection.open(endpoint, {
            curve: options.curve,
            timeoutMs: options.patienceMs ?? 5000,
          });
          opened.push(w);
          return w;
        },
      };
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const limit = options.scenarioTimeoutMs ?? 60_000;
      let result: ScenarioResult;
      try {
        await Promise.race([
          scenario.run(ctx),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not finish within ${limit} ms`)), limit);
          }),
        ]);
        result = { name: scenario.name, ok: true, ms: Math.round(performance.now() - started) };
      } catch (error) {
        result = {
          name: scenario.name,
          ok: false,
          error: (error as Error)?.message ?? String(error),
          ms: Math.round(performance.now() - started),
        };
      } finally {
        clearTimeout(timer);
        await Promise.all(opened.map((w) => w.close()));
      }
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await client.close();
  }
  return results;
}
