/**
 * @packageDocumentation
 * The `xsmb` command line (bin `xsmb`). As a library: the conformance kit
 * (the standard test service, its implementation and the scenario runner)
 * and the JSON <-> MessagePack mapping the command line uses.
 */

export {
  type ConformanceOptions,
  runConformance,
  type ScenarioResult,
} from './conformance/runner.js';
export { SCENARIOS, type Scenario, type ScenarioContext } from './conformance/scenarios.js';
export {
  type ConformanceServer,
  type ServeConformanceOptions,
  serveConformance,
  testServiceImplementation,
} from './conformance/test-server.js';
export {
  HOLD_WINDOW_MESSAGES,
  type SleepStatus,
  TEST_SERVICE_NAME,
  TestService,
} from './conformance/test-service.js';
export { fromJson, toJson } from './json-mapping.js';
export { createProgram, VERSION } from './program.js';
