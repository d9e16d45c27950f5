import type { ViteUserConfig } from 'vitest/config';

/** The vitest settings every xSMB package shares. */
export declare const baseConfig: ViteUserConfig;
/** Extends the shared settings with a package's own. */
export declare function definePackageConfig(overrides?: ViteUserConfig): ViteUserConfig;
