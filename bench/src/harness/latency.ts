/**
 * Latency recorder: keeps raw samples (reservoir-sampled past a cap) and
 * answers percentiles from a sorted copy. Exact for up to `maxSamples`
 * samples, which is all a benchmark run here produces.
 */

/**
 * Summary of recorded latencies, in microseconds: sample count, mean,
 * percentiles (p999 = 99.9th) and maximum.
 */
export type LatencySummary = Record<
  'count' | 'mean' | 'p50' | 'p90' | 'p99' | 'p999' | 'max',
  number
>;

/** Records latencies (µs) and reports percentiles. */
export class LatencyRecorder {
  private samples: Float64Array;
  private stored = 0;
  private seen = 0;
  private sum = 0;
  private maxSeen = 0;
  private sorted: Float64Array | null = null;

  /**
   * @param initialCapacity samples to allocate up front (grows by doubling).
   * @param maxSamples cap on stored samples; beyond it a uniform reservoir
   *   sample is kept, so memory stays bounded on any run length. Default 1e6.
   */
  constructor(
    initialCapacity = 1024,
    private readonly maxSamples = 1_000_000,
  ) {
    this.samples = new Float64Array(Math.max(1, Math.min(initialCapacity, maxSamples)));
  }

  /** Adds one sample in microseconds. */
  record(micros: number): void {
    this.seen++;
    this.sum += micros;
    if (micros > this.maxSeen) this.maxSeen = micros;
    this.sorted = null;
    if (this.stored < this.samples.length) {
      this.samples[this.stored++] = micros;
      return;
    }
    if (this.stored < this.maxSamples) {
      const grown = new Float64Array(Math.min(this.samples.length * 2, this.maxSamples));
      grown.set(this.samples);
      this.samples = grown;
      this.samples[this.stored++] = micros;
      return;
    }
    // Reservoir sampling (algorithm R): every sample seen so far has the same
    // chance of being kept.
    const slot = Math.floor(Math.random() * this.seen);
    if (slot < this.maxSamples) this.samples[slot] = micros;
  }

  /** Number of samples recorded (including those not stored). */
  get count(): number {
    return this.seen;
  }

  /** The `p`-th percentile (0–100), nearest-rank; NaN when empty. */
  percentile(p: number): number {
    if (this.stored === 0) return Number.NaN;
    if (this.sorted === null) this.sorted = this.samples.slice(0, this.stored).sort();
    const rank = Math.ceil((p / 100) * this.stored);
    return this.sorted[Math.min(this.stored, Math.max(1, rank)) - 1]!;
  }

  /** All the usual figures at once. */
  summary(): LatencySummary {
    return {
      count: this.seen,
      mean: this.seen === 0 ? Number.NaN : this.sum / this.seen,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.seen === 0 ? Number.NaN : this.maxSeen,
    };
  }
}
