import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the demo runs every step across three processes and exits 0', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, '..', 'src', 'demo.ts')],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const lines = stdout.split('\n');
  const has = (re: RegExp) =>
    expect(
      lines.some((l) => re.test(l)),
      `no line matches ${re}`,
    ).toBe(true);

  has(
    /^\[pricing\] listening: rpc tcp:\/\/127\.0\.0\.1:\d+ \(CURVE, 2 allowed client keys\), feed tcp:\/\/127\.0\.0\.1:\d+$/,
  );
  has(
    /^pricing client: dns:\/\/\/localhost:\d+ resolved to tcp:\/\/127\.0\.0\.1:\d+ \(system resolver\)$/,
  );
  has(/^\[orders\] listening: rpc tcp:\/\/127\.0\.0\.1:\d+ \(CURVE, 1 allowed client keys\)/);
  // Two hops with the request id passed on and the deadline shrinking.
  has(/^\[pricing\] quote 10 AAPL @ [\d.]+ \(request req-42, \d+ ms left\)$/);
  has(/^placed ord-1000: 10 AAPL @ [\d.]+ = [\d.]+ \(trailer x-order-id=ord-1000\)$/);
  has(
    /^qty 0 refused by the server's schema: INVALID_ARGUMENT \(3\) request failed validation: .*qty/,
  );
  has(/^unknown symbol, failed two hops away: NOT_FOUND \(5\) unknown symbol ZZZZ$/);
  has(/^failed after \d+ ms: DEADLINE_EXCEEDED \(4\)$/);
  // The server's own deadline and the client's CANCEL (sent at the client's
  // deadline) race; either stops the job.
  has(
    /^\[pricing\] slowQuote MSFT: stopped early, (deadline exceeded \(DEADLINE_EXCEEDED\)|cancelled by the client \(CANCELLED\))$/,
  );
  has(/^aborted after 100 ms: CANCELLED \(1\)$/);
  has(/^\[pricing\] slowQuote NVDA: stopped early, cancelled by the client \(CANCELLED\)$/);
  has(/^read 5 of 1,000,000 report rows/);
  has(/^\[orders\] report stream over after \d+ rows \(the client cancelled it\)$/);
  has(/^\[orders\] report stream over after 2000 rows$/);
  has(/^received 2000 rows in order \(sum of px \d+\); trailers \{"x-rows":"2000"\}$/);
  has(/^upload with a bad token refused before data: PERMISSION_DENIED \(7\)$/);
  has(/^uploaded 500 lines, \d+ bytes; trailers \{"x-accepted-by":"orders"\}$/);
  expect(lines.filter((l) => /^tick NVDA px=[\d.]+ seq=\d+$/.test(l))).toHaveLength(5);
  has(/^subscription stats: \{"received":5,"delivered":5,.*"gaps":0,"invalid":0,"errors":0\}$/);
  has(/^intruder refused: UNAVAILABLE \(14\) .*handshake failed/);
  has(/^\[pricing\] stopped$/);
  has(/^\[orders\] stopped$/);
  has(/^demo finished: every process exited cleanly\.$/);

  // One trace across three processes: the client's first place span, the
  // order service's server and client spans, the pricing service's server span.
  const first = lines.find((l) => /^\[trace\] client\s+client demo\.Orders\/place/.test(l));
  const trace = first?.match(/trace=(\w+)/)?.[1];
  expect(trace).toBeDefined();
  const chain = lines.filter((l) => l.includes(`trace=${trace}`));
  expect(
    chain.some((l) => /^\[orders\] \[trace\] orders\s+server demo\.Orders\/place/.test(l)),
  ).toBe(true);
  expect(
    chain.some((l) => /^\[orders\] \[trace\] orders\s+client demo\.Pricing\/quote/.test(l)),
  ).toBe(true);
  expect(
    chain.some((l) => /^\[pricing\] \[trace\] pricing server demo\.Pricing\/quote/.test(l)),
  ).toBe(true);
});
