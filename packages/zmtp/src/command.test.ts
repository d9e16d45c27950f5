import { describe, expect, it } from 'vitest';
import { decodeCommand, decodeProperties, encodeCommand, encodeProperties } from './command.js';
import { ZmtpError } from './errors.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('command bodies', () => {
  it('encodes READY with Socket-Type as RFC 23 spells it', () => {
    const props = encodeProperties(new Map([['Socket-Type', bytes('DEALER')]]));
    const body = encodeCommand('READY', props);
    expect(Buffer.from(body).toString('hex')).toBe(
      `05${Buffer.from('READY').toString('hex')}0b${Buffer.from('Socket-Type').toString('hex')}00000006${Buffer.from('DEALER').toString('hex')}`,
    );
    const cmd = decodeCommand(body);
    expect(cmd.name).toBe('READY');
    const back = decodeProperties(cmd.data);
    expect([...back.keys()]).toEqual(['socket-type']);
    expect(new TextDecoder().decode(back.get('socket-type'))).toBe('DEALER');
  });

  it('rejects truncated commands and metadata with PROTOCOL', () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(5, 0x52)]) {
      expect(() => decodeCommand(bad)).toThrow(ZmtpError);
    }
    const props = encodeProperties(new Map([['Identity', bytes('abc')]]));
    for (let cut = 1; cut < props.length; cut++) {
      let error: unknown;
      try {
        decodeProperties(props.subarray(0, cut));
      } catch (e) {
        error = e;
      }
      expect(error, `cut at ${cut}`).toBeInstanceOf(ZmtpError);
      expect((error as ZmtpError).code).toBe('PROTOCOL');
    }
  });
});
