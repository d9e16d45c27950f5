import { Kind } from './envelope.js';

const names: Record<number, string> = {
  [Kind.REQUEST]: 'request',
  [Kind.RESPONSE]: 'response',
  [Kind.ERROR]: 'error',
  [Kind.CANCEL]: 'cancel',
  [Kind.DATA]: 'data',
  [Kind.END]: 'end',
  [Kind.CREDIT]: 'credit',
  [Kind.GOAWAY]: 'goaway',
};

/** The lower-case name of an envelope kind, as listeners see it. */
export function kindName(kind: number): string {
  return names[kind] ?? `kind-${kind}`;
}
