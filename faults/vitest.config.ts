import { definePackageConfig } from '@xsmb/vitest-config';

// One file at a time: each file builds its own hosts, and the figures it
// reports (latency, throughput) mean little while another file loads the CPU.
export default definePackageConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
