/**
 * How call results and RPC errors are shown: data on stdout, trailers and
 * errors on stderr (or all on stdout as JSON with `--json`).
 */

import { codeName, RpcError } from '@xsmb/rpc';
import { exitCodeFor } from './exit-code.js';
import { toJson } from './json-mapping.js';
import { colors, err, out } from './output.js';

function isEmpty(map: Readonly<Record<string, unknown>> | undefined): boolean {
  return map === undefined || Object.keys(map).length === 0;
}

/** Shows trailers on stderr, if there are any. */
export function showTrailers(trailers: Readonly<Record<string, unknown>> | undefined): void {
  if (!isEmpty(trailers)) err(`trailers ${JSON.stringify(toJson(trailers))}`);
}

/** The JSON form of an RPC error. */
export function errorJson(error: RpcError): Record<string, unknown> {
  const json: Record<string, unknown> = {
    code: error.code,
    codeName: codeName(error.code),
    message: error.rawMessage,
  };
  if (error.details !== undefined && error.details !== null) json.details = toJson(error.details);
  if (!isEmpty(error.metadata)) json.trailers = toJson(error.metadata);
  return json;
}

/**
 * Shows a failed call and returns the exit code (64 + the RPC code). Errors
 * that are not `RpcError`s are converted (`RpcError.from`).
 */
export function showError(error: unknown, json: boolean): number {
  const e = RpcError.from(error);
  if (json) {
    out(JSON.stringify({ error: errorJson(e) }));
  } else {
    const c = colors(process.stderr);
    err(c.red(`error ${codeName(e.code)} (${e.code}): ${e.rawMessage}`));
    if (e.details !== undefined && e.details !== null) {
      err(`details ${JSON.stringify(toJson(e.details))}`);
    }
    showTrailers(e.metadata);
  }
  return exitCodeFor(e.code);
}
