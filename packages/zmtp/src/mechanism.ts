/**
 * The seam between the connection engine and a security mechanism (NULL,
 * CURVE). The engine owns the socket, the greeting and the framing; a
 * mechanism owns the handshake commands and, once the handshake is done, the
 * transformation of each frame (CURVE boxes every frame in a MESSAGE
 * command; NULL leaves frames as they are).
 *
 * One `MechanismSession` exists per connection and is used from one
 * connection only.
 */

/** What the engine tells a mechanism about its side of one connection. */
export interface MechanismContext {
  /**
   * The properties this side announces in its READY (NULL) or
   * INITIATE/READY (CURVE) metadata: at least `Socket-Type`, and `Identity`
   * when set. Keys as ZMTP spells them.
   */
  readonly properties: ReadonlyMap<string, Uint8Array>;
  /** True when this side is the mechanism's server (the `as-server` greeting bit). */
  readonly asServer: boolean;
}

/** What a finished handshake yields. */
export interface HandshakeResult {
  /** The peer's metadata, names lower-cased (`socket-type`, `identity`, ...). */
  readonly peerProperties: ReadonlyMap<string, Uint8Array>;
  /** The peer's long-term public key (CURVE server side: the client's key). */
  readonly peerPublicKey?: Uint8Array;
}

/** One step of the handshake: commands to send, and the result once done. */
export interface HandshakeStep {
  /** Command bodies (see `encodeCommand`) to send, in order. */
  readonly send: readonly Uint8Array[];
  /** Present when the handshake is complete. */
  readonly done?: HandshakeResult;
}

/** A frame as the engine sees it: flags (MORE = 1, COMMAND = 4) and body. */
export interface WireFrame {
  /** ZMTP frame flags without the LONG bit (the engine sets that from the size). */
  readonly flags: number;
  /** The frame body. */
  readonly body: Uint8Array;
}

/**
 * One connection's mechanism. Handshake errors are thrown as `ZmtpError`
 * (`HANDSHAKE`, `UNAUTHORIZED`, `PROTOCOL`); the engine then sends an ERROR
 * command with the error's message (when the mechanism's state allows it) and
 * closes the connection.
 */
export interface MechanismSession {
  /** The name in the greeting: `NULL` or `CURVE`. */
  readonly name: 'NULL' | 'CURVE';
  /**
   * False for NULL: the engine then skips `encode`/`decode` entirely on the
   * data path.
   */
  readonly transformsFrames: boolean;
  /**
   * The `as-server` bit this side puts in its greeting (CURVE: true on the
   * side holding the server key). Optional so existing sessions keep
   * compiling; when absent the engine uses `context.asServer` (false).
   */
  readonly asServer?: boolean;
  /** Called once both greetings are exchanged: the first commands to send (may be none). */
  start(): HandshakeStep;
  /** Called with each command frame body received before the handshake is done. */
  onCommand(body: Uint8Array): HandshakeStep;
  /** After the handshake: turns one outgoing frame into what goes on the wire. */
  encode(frame: WireFrame): WireFrame;
  /**
   * After the handshake: turns one received wire frame back into the frame
   * that was sent. Throws `ZmtpError('PROTOCOL' | 'HANDSHAKE')` on a bad box.
   */
  decode(frame: WireFrame): WireFrame;
}

/** Creates one session per connection. */
export type MechanismFactory = (context: MechanismContext) => MechanismSession;
