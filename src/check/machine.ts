// What exists on the machine, read for the leak checker without changing anything: shim processes,
// mounts, cgroup directories, network links, kapald's nftables table. Only /proc and /sys are read,
// except for one `nft -j list table`.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { readV1Hierarchies } from '../runtime/cgroups/hierarchies.js';
import { readV2Mount } from '../runtime/cgroups/v2.js';
import { detectCgroupVersion } from '../runtime/host-facts.js';
import { readMountInfo } from '../runtime/host-mounts.js';

export interface ShimProcess {
  pid: number;
  mode: 'run' | 'exec';
  stateDir: string;
}

const CONTAINER_ID = /^[a-f0-9]{64}$/;

function cmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return []; // gone meanwhile
  }
}

/** The kapal-shim processes whose state directory is below `execRoot`. */
export function shimProcesses(execRoot: string): ShimProcess[] {
  const below = path.join(execRoot, 'containers') + '/';
  const out: ShimProcess[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const [exe = '', mode = '', stateDir = ''] = cmdline(pid);
    if (path.basename(exe) !== 'kapal-shim' || (mode !== 'run' && mode !== 'exec') || !stateDir.startsWith(below)) continue;
    out.push({ pid: Number(pid), mode, stateDir });
  }
  return out;
}

/** Whether the kapald that holds `lockFile` (it writes its PID there) is alive. */
export function daemonAlive(lockFile: string): number | undefined {
  let pid: string;
  try {
    pid = readFileSync(lockFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d+$/.test(pid) || Number(pid) === process.pid) return undefined;
  return cmdline(pid).some((arg) => /kapald|dist\/main\.js/.test(arg)) ? Number(pid) : undefined;
}

/** Mount points at or below any of `roots`, deepest last as mountinfo lists them. */
export function mountsBelow(roots: string[]): string[] {
  const inside = (p: string) => roots.some((r) => p === r || p.startsWith(`${r}/`));
  return readMountInfo().map((m) => m.mountPoint).filter(inside);
}

/**
 * The container cgroup directories below `parent` in every hierarchy: `<mount>/<parent>/<id>`
 * for an absolute parent; else below the running kapald's own cgroup, as kapald places them; or,
 * with no kapald to ask, below every cgroup that ends in the parent.
 */
export function containerCgroups(parent: string | undefined, daemonPid: number | undefined): { dir: string; id: string }[] {
  const v2 = detectCgroupVersion() === '2';
  const own = daemonPid === undefined ? undefined : `/proc/${daemonPid}/cgroup`;
  const roots = v2
    ? [{ mount: '/sys/fs/cgroup', own: own ? readV2Mount('/sys/fs/cgroup', own).own : undefined }]
    : readV1Hierarchies('/proc/self/mountinfo', own).map((h) => ({ mount: h.mount, own: own ? h.own : undefined }));
  const rel = (parent ?? 'kapal').replace(/^\/+|\/+$/g, '');
  const bases: string[] = [];
  for (const { mount, own: ownDir } of roots) {
    if (parent?.startsWith('/')) {
      bases.push(path.join(mount, rel));
      continue;
    }
    if (ownDir !== undefined) {
      bases.push(path.join(mount, ownDir, rel));
      continue;
    }
    const walk = (dir: string, depth: number) => {
      if (dir.endsWith(`/${rel}`)) bases.push(dir);
      if (depth === 0) return;
      let names: string[];
      try {
        names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !CONTAINER_ID.test(e.name)).map((e) => e.name);
      } catch {
        return;
      }
      for (const name of names) walk(path.join(dir, name), depth - 1);
    };
    walk(mount, 8);
  }
  const out: { dir: string; id: string }[] = [];
  for (const base of bases) {
    if (!existsSync(base)) continue;
    for (const e of readdirSync(base, { withFileTypes: true })) {
      if (e.isDirectory() && CONTAINER_ID.test(e.name)) out.push({ dir: path.join(base, e.name), id: e.name });
    }
  }
  return out;
}

export interface Link {
  name: string;
  bridge: boolean;
  alias: string;
  /** The bridge this link is a port of. */
  master: string | undefined;
}

export function links(): Link[] {
  const out: Link[] = [];
  for (const name of readdirSync('/sys/class/net')) {
    const dir = `/sys/class/net/${name}`;
    let alias = '';
    let master: string | undefined;
    try {
      alias = readFileSync(`${dir}/ifalias`, 'utf8').trim();
    } catch {
      // no alias file: no alias
    }
    try {
      master = path.basename(readlinkSync(`${dir}/master`));
    } catch {
      master = undefined;
    }
    out.push({ name, bridge: existsSync(`${dir}/bridge`), alias, master });
  }
  return out;
}

export interface NftPortRule {
  proto: string;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

export interface NftTable {
  /** The subnets masqueraded on their way out. */
  masquerade: string[];
  /** The DNAT rules of the `ports` chain. */
  ports: NftPortRule[];
}

type Expr = Record<string, unknown>;

function portRule(expr: Expr[]): NftPortRule | undefined {
  let proto = '';
  let hostIp = '';
  let hostPort = 0;
  let dnat: { addr?: string; port?: number } | undefined;
  for (const e of expr) {
    const match = e['match'] as { left?: { payload?: { protocol?: string; field?: string } }; right?: unknown } | undefined;
    const payload = match?.left?.payload;
    if (payload?.field === 'dport') {
      proto = payload.protocol ?? '';
      hostPort = Number(match!.right);
    }
    if (payload?.protocol === 'ip' && payload.field === 'daddr' && typeof match!.right === 'string') hostIp = match!.right;
    if (e['dnat']) dnat = e['dnat'] as { addr?: string; port?: number };
  }
  return dnat ? { proto, hostIp, hostPort, containerIp: dnat.addr ?? '', containerPort: Number(dnat.port) } : undefined;
}

function masqueradeSubnet(expr: Expr[]): string | undefined {
  if (!expr.some((e) => 'masquerade' in e)) return undefined;
  for (const e of expr) {
    const match = e['match'] as { left?: { payload?: { field?: string } }; right?: { prefix?: { addr: string; len: number } } } | undefined;
    const prefix = match?.left?.payload?.field === 'saddr' ? match.right?.prefix : undefined;
    if (prefix) return `${prefix.addr}/${prefix.len}`;
  }
  return undefined;
}

/** kapald's table (family inet) as nft lists it, or undefined when there is none. */
export function nftTable(table: string): NftTable | undefined {
  const r = spawnSync('nft', ['-j', 'list', 'table', 'inet', table], { encoding: 'utf8' });
  if (r.error) throw new Error(`nft: ${r.error.message}`);
  if (r.status !== 0) {
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new Error(`nft -j list table inet ${table} failed: ${r.stderr.trim()}`);
  }
  const items = (JSON.parse(r.stdout) as { nftables: Record<string, unknown>[] }).nftables;
  const out: NftTable = { masquerade: [], ports: [] };
  for (const item of items) {
    const rule = item['rule'] as { chain: string; expr: Expr[] } | undefined;
    if (!rule) continue;
    if (rule.chain === 'ports') {
      const p = portRule(rule.expr);
      if (p) out.ports.push(p);
    }
    if (rule.chain === 'postrouting') {
      const subnet = masqueradeSubnet(rule.expr);
      if (subnet) out.masquerade.push(subnet);
    }
  }
  return out;
}
