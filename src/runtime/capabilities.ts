// Linux capability names and numbers, docker's default set, and how CapAdd/CapDrop/Privileged
// change it (moby oci/caps: names with or without CAP_, "ALL" in either list).

import { readFileSync } from 'node:fs';
import { invalidArgument } from '../domain/errors.js';

export const CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

export const CAP_MKNOD = 27;

/** Docker's 14 default capabilities: CapEff 00000000a80425fb. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
];

function normalize(name: string): string {
  const upper = name.toUpperCase();
  const bare = upper.startsWith('CAP_') ? upper.slice(4) : upper;
  if (bare !== 'ALL' && !CAPABILITIES.includes(bare)) throw invalidArgument(`unknown capability: "${name}"`);
  return bare;
}

/**
 * The capability numbers a container keeps. `available` is kapald's own bounding set: Privileged
 * and "ALL" mean all of those (as moby does), since a process cannot grant what it lacks.
 */
export function containerCapabilities(opts: { capAdd: string[] | null; capDrop: string[] | null; privileged: boolean; available: number[] }): number[] {
  const all = opts.available.map((n) => CAPABILITIES[n]).filter((name): name is string => name !== undefined);
  const add = (opts.capAdd ?? []).map(normalize);
  const drop = (opts.capDrop ?? []).map(normalize);
  let set: Set<string>;
  if (opts.privileged || add.includes('ALL')) set = new Set(all);
  else if (drop.includes('ALL')) set = new Set(add);
  else set = new Set([...DEFAULT_CAPABILITIES, ...add]);
  if (!opts.privileged && !add.includes('ALL')) for (const d of drop) if (d !== 'ALL') set.delete(d);
  return [...set].map((name) => CAPABILITIES.indexOf(name)).filter((n) => n >= 0).sort((a, b) => a - b);
}

/** kapald's bounding set, from /proc/self/status. */
export function boundingCapabilities(status = readFileSync('/proc/self/status', 'utf8')): number[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (!hex) return CAPABILITIES.map((_, i) => i);
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.map((_, i) => i).filter((i) => (mask >> BigInt(i)) & 1n);
}
