/** @packageDocumentation Server-to-client, client-to-server and bidirectional streams for xSMB, with credit-based flow control. */
export {};
