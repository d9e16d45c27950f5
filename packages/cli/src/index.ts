/**
 * @packageDocumentation
 * The `xsmb` command line (bin `xsmb`). As a library: the conformance kit
 * (the standard test service, its implementation and the scenario runner)
 * and the JSON <-> MessagePack mapping the command line uses.
 */

export { fromJson, toJson } from './json-mapping.js';
export { createProgram, VERSION } from './program.js';
