/**
 * The NULL mechanism (RFC 23 §"The NULL Security Mechanism"): each side
 * sends READY with its metadata; no authentication, frames untouched.
 */
import { decodeCommand, decodeProperties, encodeCommand, encodeProperties } from './command.js';
import { ZmtpError } from './errors.js';
import type {
  HandshakeStep,
  MechanismContext,
  MechanismFactory,
  MechanismSession,
  WireFrame,
} from './mechanism.js';

class NullSession implements MechanismSession {
  readonly name = 'NULL' as const;
  readonly transformsFrames = false;
  readonly asServer = false;
  private done = false;

  constructor(private readonly context: MechanismContext) {}

  start(): HandshakeStep {
    return { send: [encodeCommand('READY', encodeProperties(this.context.properties))] };
  }

  onCommand(body: Uint8Array): HandshakeStep {
    const cmd = decodeCommand(body);
    if (this.done) throw new ZmtpError('PROTOCOL', `unexpected ${cmd.name} after READY`);
    if (cmd.name === 'ERROR') {
      const n = cmd.data[0] ?? 0;
      const reason = new TextDecoder('latin1').decode(cmd.data.subarray(1, 1 + n));
      throw new ZmtpError('PEER_ERROR', `peer refused the handshake: ${reason}`);
    }
    if (cmd.name !== 'READY') throw new ZmtpError('PROTOCOL', `expected READY, got ${cmd.name}`);
    this.done = true;
    return { send: [], done: { peerProperties: decodeProperties(cmd.data) } };
  }

  encode(frame: WireFrame): WireFrame {
    return frame;
  }

  decode(frame: WireFrame): WireFrame {
    return frame;
  }
}

/** The NULL mechanism factory (the default of every socket). */
export function nullMechanism(): MechanismFactory {
  return (context) => new NullSession(context);
}
