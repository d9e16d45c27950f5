/**
 * Reading messages from the command line: a JSON argument, `@file`, `@-` or
 * standard input, and NDJSON streams from standard input.
 */

import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError } from './exit-code.js';
import { fromJson } from './json-mapping.js';

function parse(text: string, where: string): unknown {
  try {
    return fromJson(JSON.parse(text));
  } catch (error) {
    throw new CliError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The message given as `json`: inline JSON, `@path` for a file, `@-` for
 * standard input. Without it: standard input when it is not a terminal and
 * `stdinFree` (nothing else reads it), else `fallback`; empty input is
 * `fallback` too.
 */
export async function readMessage(
  json: string | undefined,
  options: { stdinFree: boolean; fallback: unknown },
): Promise<unknown> {
  let text: string;
  let where = 'the message';
  if (json === undefined) {
    if (!options.stdinFree || process.stdin.isTTY === true) return options.fallback;
    text = await readStdin();
    where = 'standard input';
  } else if (json === '@-') {
    text = await readStdin();
    where = 'standard input';
  } else if (json.startsWith('@')) {
    const path = json.slice(1);
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
    }
    where = path;
  } else {
    text = json;
  }
  return text.trim() === '' ? options.fallback : parse(text, where);
}

/** The messages of NDJSON on standard input, one per non-empty line. */
export async function* readNdjson(): AsyncGenerator<unknown> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    yield parse(line, `standard input line ${n}`);
  }
}

/** Parses `-H key=value` flags into metadata. */
export function parseMetadata(headers: readonly string[] | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const h of headers ?? []) {
    const at = h.indexOf('=');
    if (at <= 0) throw new CliError(`-H wants key=value, got ${h}`);
    metadata[h.slice(0, at)] = h.slice(at + 1);
  }
  return metadata;
}

/** Parses a non-negative integer option. */
export function integer(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) {
      throw new CliError(`${name} must be a non-negative integer, got ${text}`);
    }
    return n;
  };
}

/** Commander argument parser of a repeatable option: collects every value. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
