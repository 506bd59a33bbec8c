// Seccomp profiles in docker's JSON format (`--security-opt seccomp=<file>` sends the file's
// content), checked with zod, and resolved for one container: rules whose `includes`/`excludes`
// (capabilities, architectures, kernel) do not apply are dropped, and what is left becomes flat
// per-syscall rules, which compile.ts turns into the BPF program the shim loads.

import { z } from 'zod';
import { invalidArgument } from '../../domain/errors.js';

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'] as const;
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const;
export type SeccompAction = (typeof ACTIONS)[number];

const filter = z.looseObject({
  caps: z.array(z.string()).nullable().optional(),
  arches: z.array(z.string()).nullable().optional(),
  minKernel: z.string().nullable().optional(),
});

const arg = z.looseObject({
  index: z.number().int().min(0).max(5),
  value: z.number().int().min(0),
  valueTwo: z.number().int().min(0).optional(),
  op: z.enum(OPS),
});

const syscall = z.looseObject({
  names: z.array(z.string()).nullable().optional(),
  name: z.string().optional(),
  action: z.enum(ACTIONS),
  errnoRet: z.number().int().min(0).nullable().optional(),
  args: z.array(arg).nullable().optional(),
  includes: filter.nullable().optional(),
  excludes: filter.nullable().optional(),
});

export const profileSchema = z.looseObject({
  defaultAction: z.enum(ACTIONS),
  defaultErrnoRet: z.number().int().min(0).nullable().optional(),
  architectures: z.array(z.string()).nullable().optional(),
  archMap: z.array(z.looseObject({ architecture: z.string(), subArchitectures: z.array(z.string()).nullable().optional() })).nullable().optional(),
  syscalls: z.array(syscall).nullable().optional(),
});

export type SeccompProfile = z.infer<typeof profileSchema>;

/** One syscall's rule as the shim takes it: `args` is "index,op,value,valueTwo;..." ('' for none). */
export interface SeccompRule {
  name: string;
  action: SeccompAction;
  errno: number;
  args: string;
}

export interface ResolvedSeccomp {
  defaultAction: SeccompAction;
  defaultErrno: number;
  /** libseccomp's names: the native one first. */
  arches: string[];
  rules: SeccompRule[];
}

/** A profile's JSON (docker's format), or moby's error. */
export function parseProfile(json: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidArgument(`Decoding seccomp profile failed: ${issue.path.join('.') || 'profile'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Go's GOARCH (docker's `arches` values) for this machine, and libseccomp's architecture names. */
const NATIVE: Record<string, { goArch: string; scmp: string }> = {
  x64: { goArch: 'amd64', scmp: 'SCMP_ARCH_X86_64' },
  arm64: { goArch: 'arm64', scmp: 'SCMP_ARCH_AARCH64' },
  arm: { goArch: 'arm', scmp: 'SCMP_ARCH_ARM' },
  s390x: { goArch: 's390x', scmp: 'SCMP_ARCH_S390X' },
  ppc64: { goArch: 'ppc64le', scmp: 'SCMP_ARCH_PPC64LE' },
  riscv64: { goArch: 'riscv64', scmp: 'SCMP_ARCH_RISCV64' },
};

const kernelAtLeast = (have: string, want: string): boolean => {
  const [a, b] = [have, want].map((v) => v.split(/[.-]/).slice(0, 2).map((n) => Number(n) || 0));
  return a![0]! > b![0]! || (a![0] === b![0] && a![1]! >= b![1]!);
};

/**
 * The rules that apply to a container with capabilities `caps` (names with CAP_) on this machine
 * (`arch` as Node's process.arch, `kernel` as os.release()).
 */
export function resolveProfile(p: SeccompProfile, opts: { caps: Set<string>; arch: string; kernel: string }): ResolvedSeccomp {
  const native = NATIVE[opts.arch] ?? { goArch: opts.arch, scmp: '' };
  const sub = p.archMap?.find((m) => m.architecture === native.scmp)?.subArchitectures ?? [];
  const arches = p.architectures?.length ? [...new Set([native.scmp, ...p.architectures.filter((a) => a === native.scmp || sub.includes(a))])] : [native.scmp, ...sub];
  const applies = (f: z.infer<typeof filter> | null | undefined, included: boolean): boolean => {
    if (!f) return true;
    const caps = f.caps ?? [];
    const archList = f.arches ?? [];
    if (included) {
      if (caps.length && !caps.every((c) => opts.caps.has(c))) return false;
      if (archList.length && !archList.includes(native.goArch)) return false;
      if (f.minKernel && !kernelAtLeast(opts.kernel, f.minKernel)) return false;
      return true;
    }
    if (caps.length && caps.some((c) => opts.caps.has(c))) return false;
    if (archList.length && archList.includes(native.goArch)) return false;
    return true;
  };
  const rules: SeccompRule[] = [];
  for (const s of p.syscalls ?? []) {
    if (!applies(s.includes, true) || !applies(s.excludes, false)) continue;
    const args = (s.args ?? []).map((a) => `${a.index},${a.op},${a.value},${a.valueTwo ?? 0}`).join(';');
    const errno = s.errnoRet ?? p.defaultErrnoRet ?? 1;
    for (const name of [...(s.names ?? []), ...(s.name ? [s.name] : [])]) rules.push({ name, action: s.action, errno, args });
  }
  return { defaultAction: p.defaultAction, defaultErrno: p.defaultErrnoRet ?? 1, arches: arches.filter(Boolean), rules };
}
