// A resolved seccomp profile compiled to BPF once, in kapald, with the host's libseccomp (through
// koffi, in libc.ts); the shim only loads the program. Each container start and exec used to
// build the filter again in the shim (2-3 ms); the program for a profile and capability set is
// now built once and kept.

import { createHash } from 'node:crypto';
import { compileSeccomp } from '../libc.js';
import type { ResolvedSeccomp } from './profile.js';

const cache = new Map<string, Buffer>();
const MAX_CACHED = 64;

const byObject = new WeakMap<ResolvedSeccomp, Buffer>();

/** The BPF program (struct sock_filter[]) for `s`. */
export function seccompProgram(s: ResolvedSeccomp): Buffer {
  const known = byObject.get(s);
  if (known) return known;
  const program = compiled(s);
  byObject.set(s, program);
  return program;
}

function compiled(s: ResolvedSeccomp): Buffer {
  const key = createHash('sha256').update(JSON.stringify(s)).digest('hex');
  let bpf = cache.get(key);
  if (!bpf) {
    bpf = compileSeccomp(s);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, bpf);
  }
  return bpf;
}
