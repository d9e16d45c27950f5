import { baseConfig, definePackageConfig } from '@xsmb/vitest-config';

// The shared settings a project may carry (the rest are for the whole run only).
const {
  include: _include,
  reporters: _reporters,
  maxWorkers: _maxWorkers,
  ...shared
} = baseConfig.test ?? {};

export default definePackageConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'codec' } },
      {
        // msgpackr decodes strings natively (msgpackr-extract) when it can load
        // it, in JavaScript otherwise: the decoding suites run both ways. (Not
        // `extends: true`, which would add the shared include list to this one.)
        test: {
          ...shared,
          name: 'codec, msgpackr without native strings',
          include: ['test/fuzz.test.ts', 'test/vectors.test.ts', 'test/roundtrip.property.test.ts'],
          env: { MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true' },
        },
      },
    ],
  },
});
