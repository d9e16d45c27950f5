/**
 * @packageDocumentation
 * `@xsmb/pubsub/internal`: pieces other xSMB packages share with this one
 * (the `xsmb` command line). Not for applications: it may change in any
 * release. Applications use the main entry, `@xsmb/pubsub`.
 */

export { type BrokerProcessOptions, runBrokerProcess } from './broker-process.js';
