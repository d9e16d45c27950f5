import { describe, expect, it } from 'vitest';
import { encodeTopicFrame, parseTopicFrame } from './topic-frame.js';

/** ZeroMQ's subscription filter: a message matches when its topic frame starts with the prefix. */
const matches = (prefix: Buffer, frame: Buffer) =>
  frame.length >= prefix.length && frame.subarray(0, prefix.length).equals(prefix);

describe('topic frame', () => {
  it('is the topic, 0x00, then the key', () => {
    expect(encodeTopicFrame('prices', undefined).toString('hex')).toBe('70726963657300');
    expect(encodeTopicFrame('prices', '')).toEqual(encodeTopicFrame('prices', undefined));
    expect(encodeTopicFrame('prices', 'AAPL').toString()).toBe('prices\0AAPL');
  });

  it('makes ZeroMQ prefix filtering exact on the topic and a prefix match on the key', () => {
    const all = encodeTopicFrame('prices', undefined);
    const aapl = encodeTopicFrame('prices', 'AAPL');
    expect(matches(all, encodeTopicFrame('prices', 'MSFT'))).toBe(true);
    expect(matches(all, encodeTopicFrame('prices', undefined))).toBe(true);
    expect(matches(all, encodeTopicFrame('prices2', undefined))).toBe(false);
    expect(matches(all, encodeTopicFrame('prices2', 'AAPL'))).toBe(false);
    expect(matches(aapl, encodeTopicFrame('prices', 'AAPL'))).toBe(true);
    expect(matches(aapl, encodeTopicFrame('prices', 'AAPL.O'))).toBe(true);
    expect(matches(aapl, encodeTopicFrame('prices', 'AAP'))).toBe(false);
    expect(matches(aapl, encodeTopicFrame('prices', undefined))).toBe(false);
  });

  it('parses back, splitting at the first 0x00', () => {
    expect(parseTopicFrame(encodeTopicFrame('météo', 'zürich'))).toEqual({
      topic: 'météo',
      key: 'zürich',
    });
    expect(parseTopicFrame(encodeTopicFrame('t', undefined))).toEqual({
      topic: 't',
      key: undefined,
    });
    expect(parseTopicFrame(Buffer.from('t\0a\0b'))).toEqual({ topic: 't', key: 'a\0b' });
    expect(parseTopicFrame(new Uint8Array([0x74, 0]))).toEqual({ topic: 't', key: undefined });
    expect(parseTopicFrame(Buffer.from('no separator'))).toBeUndefined();
    expect(parseTopicFrame(Buffer.from('\0key'))).toBeUndefined();
  });

  it('refuses topic names and keys that cannot work', () => {
    expect(() => encodeTopicFrame('', undefined)).toThrow(TypeError);
    expect(() => encodeTopicFrame('a\0b', undefined)).toThrow(TypeError);
    expect(() => encodeTopicFrame('x'.repeat(256), undefined)).toThrow(TypeError);
    expect(() => encodeTopicFrame('t', 'é'.repeat(513))).toThrow(TypeError);
    expect(encodeTopicFrame('x'.repeat(255), 'é'.repeat(512)).length).toBe(255 + 1 + 1024);
  });
});
