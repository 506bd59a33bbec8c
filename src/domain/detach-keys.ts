// Detach keys as docker spells them (`ctrl-p,ctrl-q`, `a`, `ctrl-@`..`ctrl-_`, `DEL`), as bytes
// (moby's term.ToBytes). The default is ctrl-p ctrl-q.

import { invalidArgument } from './errors.js';

const CTRL = '@abcdefghijklmnopqrstuvwxyz[\\]^_';

export const DEFAULT_DETACH_KEYS = Buffer.from([0x10, 0x11]);

/** The key bytes, or undefined for a spelling docker would not accept. */
export function detachKeyBytes(keys: string): Buffer | undefined {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    const ctrl = /^ctrl-(.)$/.exec(key);
    if (key.length === 1) codes.push(key.charCodeAt(0));
    else if (ctrl && CTRL.includes(ctrl[1]!)) codes.push(CTRL.indexOf(ctrl[1]!));
    else if (key === 'DEL') codes.push(127);
    else return undefined;
  }
  return Buffer.from(codes);
}

/** `what` names the request field in the error, as moby's two wordings do. */
export function parseDetachKeys(keys: string, what: 'detach' | 'escape'): Buffer {
  if (keys === '') return DEFAULT_DETACH_KEYS;
  const bytes = detachKeyBytes(keys);
  if (!bytes) throw invalidArgument(`Invalid ${what} keys (${keys}) provided`);
  return bytes;
}
