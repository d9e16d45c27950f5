import { definePackageConfig } from '@xsmb/vitest-config';

export default definePackageConfig();
