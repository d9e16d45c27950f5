/**
 * The CURVE security mechanism (CurveZMQ, RFC 26, as ZMTP 3.x and libzmq
 * carry it): client and server sessions behind the `MechanismSession` seam.
 *
 * Handshake: client HELLO → server WELCOME (with a cookie) → client INITIATE
 * (with the vouch and its metadata) → server READY (its metadata). Then every
 * frame travels as a MESSAGE command: `\x07MESSAGE`, an 8-byte short nonce,
 * and a box holding one flags byte (MORE = 1, COMMAND = 2: libzmq's values,
 * not the frame's) followed by the body.
 * Each box uses a key precomputed once per connection, so a frame costs one
 * XSalsa20-Poly1305 seal or open.
 *
 * Wire choices that follow libzmq 4.3.5 (checked against its sources):
 * - MESSAGE frames are sent with wire flags 0 (libzmq ORs wire flags into the
 *   decoded ones, so a COMMAND bit on the wire would turn data into a
 *   command); received MESSAGE frames are accepted with or without the
 *   COMMAND bit, and the wire MORE bit is ignored in favour of the boxed one.
 * - Short nonces: the client uses 1 for HELLO, 2 for INITIATE, then 3, 4, ...;
 *   the server 1 for READY, then 2, 3, ... Each side requires the peer's
 *   nonces to increase strictly (HELLO < INITIATE < MESSAGEs; READY < MESSAGEs).
 * - The cookie key is random per connection and forgotten once INITIATE has
 *   been checked (libzmq's rotation), so a cookie is never accepted twice.
 */

export {
  encodeErrorCommand as curveErrorCommand,
  handshakeErrorReason as curveErrorReason,
} from './command.js';
export { type CurveClientOptions, curveClient } from './curve-client.js';
export { type CurveServerOptions, curveServer } from './curve-server.js';
