/**
 * CPU and memory of the current process over a measured window. Each child
 * measures itself: `process.cpuUsage()` counts every thread of the process
 * (libzmq's I/O threads included), which is the cost a user pays.
 */

const MiB = 1024 * 1024;

/** What one process used during the measured window. */
export interface ResourceReport {
  /** Wall time of the window, ms. */
  elapsedMs: number;
  /** User CPU time in the window, µs. */
  cpuUserUs: number;
  /** System CPU time in the window, µs. */
  cpuSystemUs: number;
  /** RSS when the window opened, MiB. */
  rssStartMiB: number;
  /** Highest sampled RSS in the window, or the process's lifetime peak if higher, MiB. */
  peakRssMiB: number;
  /** Highest sampled V8 heap in use, MiB. */
  peakHeapMiB: number;
  /** Highest sampled memory outside the V8 heap held by JS objects (Buffers), MiB. */
  peakExternalMiB: number;
}

/** Measures this process between {@link ResourceMeter.start} and {@link ResourceMeter.stop}. */
export class ResourceMeter {
  private cpuStart: NodeJS.CpuUsage | null = null;
  private cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
  private t0 = 0;
  private elapsedMs = 0;
  private rssStart = 0;
  // Highest sampled values in the window, bytes.
  private peak = { rss: 0, heapUsed: 0, external: 0 };
  private timer: NodeJS.Timeout | null = null;

  /** @param sampleMs memory sampling period; a busy event loop samples less often. */
  constructor(private readonly sampleMs = 20) {}

  /** Opens the window (again, if called twice). */
  start(): void {
    this.stopTimer();
    this.rssStart = process.memoryUsage.rss();
    this.peak = { rss: 0, heapUsed: 0, external: 0 };
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    // The sampler must never be what keeps a finished child alive.
    this.timer.unref();
    this.t0 = performance.now();
    this.cpuStart = process.cpuUsage();
  }

  /** Closes the window; later calls do nothing. */
  stop(): void {
    if (this.cpuStart === null) return;
    this.cpu = process.cpuUsage(this.cpuStart);
    this.elapsedMs = performance.now() - this.t0;
    this.cpuStart = null;
    this.stopTimer();
    this.sample();
  }

  /** Whether the window is open. */
  get running(): boolean {
    return this.cpuStart !== null;
  }

  /** The figures of the last closed window. */
  report(): ResourceReport {
    // ru_maxrss is in KiB on Linux. Each cell runs in a fresh child, so the
    // lifetime peak is this workload's peak, and it catches spikes between samples.
    const maxRss = (process.resourceUsage().maxRSS * 1024) / MiB;
    return {
      elapsedMs: this.elapsedMs,
      cpuUserUs: this.cpu.user,
      cpuSystemUs: this.cpu.system,
      rssStartMiB: this.rssStart / MiB,
      peakRssMiB: Math.max(this.peak.rss / MiB, maxRss),
      peakHeapMiB: this.peak.heapUsed / MiB,
      peakExternalMiB: this.peak.external / MiB,
    };
  }

  private sample(): void {
    const m = process.memoryUsage();
    const peak = this.peak;
    if (m.rss > peak.rss) peak.rss = m.rss;
    if (m.heapUsed > peak.heapUsed) peak.heapUsed = m.heapUsed;
    if (m.external > peak.external) peak.external = m.external;
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
