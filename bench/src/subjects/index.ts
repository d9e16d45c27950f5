/**
 * The subjects, in column order. Each entry loads its module lazily, so a
 * child process loads only its own subject's dependencies (no grpc-js in a
 * zeromq child's memory figures).
 *
 * Adding a subject: write `src/subjects/<name>.ts` exporting `subject`, add
 * one line here.
 */
import type { Subject } from '../types.js';

/** Subject loaders by name, in column order (xSMB subjects are shown first). */
export const SUBJECTS: Readonly<Record<string, () => Promise<Subject>>> = {
  'xsmb-zmtp': async () => (await import('./xsmb.js')).xsmbSubject('zmtp'),
  'xsmb-libzmq': async () => (await import('./xsmb.js')).xsmbSubject('libzmq'),
  'grpc-js': async () => (await import('./grpc-js.js')).subject,
  'http-undici': async () => (await import('./http-undici.js')).subject,
  'zmq-raw': async () => (await import('./zmq-raw.js')).subject,
  'zmq-batched': async () => (await import('./zmq-batched.js')).subject,
  'net-raw': async () => (await import('./net-raw.js')).subject,
  nats: async () => (await import('./nats.js')).subject,
};

/** Loads a subject by name and checks the module agrees on its name. */
export async function loadSubject(name: string): Promise<Subject> {
  const load = SUBJECTS[name];
  if (!load)
    throw new Error(`unknown subject '${name}' (known: ${Object.keys(SUBJECTS).join(', ')})`);
  const subject = await load();
  if (subject.name !== name)
    throw new Error(`subject module for '${name}' calls itself '${subject.name}'`);
  return subject;
}
