/** @packageDocumentation OpenTelemetry tracing and metrics for xSMB calls and messages, propagated through metadata (W3C Trace Context). */
export {};
