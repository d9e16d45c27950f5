import { defineConfig, mergeConfig } from 'vitest/config';

/**
 * The vitest settings every xSMB package shares.
 *
 * Timeouts are generous because CI is a loaded 2-core machine: they bound
 * liveness, they never synchronise. Files run in forks (real sockets and
 * native addons are happier in their own process), at most two at a time.
 */
export const baseConfig = defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    reporters: ['default'],
    typecheck: { enabled: false },
  },
});

/**
 * Extends the shared settings with a package's own.
 * @param {import('vitest/config').ViteUserConfig} [overrides]
 */
export function definePackageConfig(overrides = {}) {
  return mergeConfig(baseConfig, overrides);
}
