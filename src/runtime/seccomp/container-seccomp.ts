// Which seccomp filter a container (and every exec in it) runs under: none with --privileged or
// `--security-opt seccomp=unconfined`, the profile given with `seccomp=<JSON>`, else kapal's
// default (docker's), resolved for the container's capabilities on this machine.

import { release } from 'node:os';
import type { Container } from '../../domain/container.js';
import { CAPABILITIES } from '../capabilities.js';
import { DEFAULT_PROFILE } from './default-profile.js';
import { parseProfile, resolveProfile, type ResolvedSeccomp, type SeccompProfile } from './profile.js';

/** The `seccomp=` value of SecurityOpt (`seccomp:` is the old spelling), if any. */
function seccompOption(c: Pick<Container, 'hostConfig'>): string | undefined {
  const opt = (c.hostConfig.SecurityOpt ?? []).find((o) => /^seccomp[=:]/.test(o));
  return opt?.slice('seccomp='.length);
}

/** The profile a container asked for: undefined for none; checked, so a bad one fails create. */
export function seccompProfileOf(c: Pick<Container, 'hostConfig'>): SeccompProfile | undefined {
  if (c.hostConfig.Privileged) return undefined;
  const opt = seccompOption(c);
  if (opt === 'unconfined') return undefined;
  if (opt === undefined || opt === '' || opt === 'builtin') return DEFAULT_PROFILE;
  return parseProfile(opt);
}

/** Resolved profiles by (profile, capabilities): every start and exec of a container asks again. */
const resolved = new Map<string, ResolvedSeccomp>();

export function containerSeccomp(c: Pick<Container, 'hostConfig'>, caps: number[]): ResolvedSeccomp | undefined {
  const profile = seccompProfileOf(c);
  if (!profile) return undefined;
  const key = `${profile === DEFAULT_PROFILE ? 'default' : seccompOption(c)}\0${caps.join(',')}`;
  let r = resolved.get(key);
  if (!r) {
    r = resolveProfile(profile, { caps: new Set(caps.map((n) => `CAP_${CAPABILITIES[n]}`)), arch: process.arch, kernel: release() });
    if (resolved.size >= 64) resolved.delete(resolved.keys().next().value!);
    resolved.set(key, r);
  }
  return r;
}
