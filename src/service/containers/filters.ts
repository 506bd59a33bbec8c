// GET /containers/json filters (id, name, label, status, ancestor, exited, before, since, network,
// publish, expose) and
// POST /containers/prune filters (until, label), validated like moby does.

import type { Container } from '../../domain/container.js';
import { invalidArgument } from '../../domain/errors.js';

const LIST_FILTERS = new Set(['id', 'name', 'label', 'label!', 'status', 'ancestor', 'exited', 'before', 'since', 'network', 'volume', 'health', 'isolation', 'is-task', 'publish', 'expose']);
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

export function checkFilters(filters: Map<string, string[]>, allowed: Set<string> = LIST_FILTERS): void {
  for (const key of filters.keys()) if (!allowed.has(key)) throw invalidArgument(`invalid filter '${key}'`);
  for (const s of filters.get('status') ?? []) {
    if (!STATUSES.has(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  }
  for (const e of filters.get('exited') ?? []) if (!/^-?\d+$/.test(e)) throw invalidArgument(`invalid filter 'exited=${e}'`);
}

export function matchLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

export interface ListContext {
  /** Resolves a container reference for before/since. */
  lookup(ref: string): Container;
  /** Image IDs an `ancestor` value names (the image and, by moby's rule, its descendants; here: itself). */
  ancestorIds(ref: string): Set<string>;
  /** The networks the container is connected to. */
  networks(c: Container): { id: string; name: string }[];
  /** Its published host ports while it runs. */
  published(c: Container): { proto: string; containerPort: number; hostPort: number }[];
}

/** moby's port filter value: `80`, `80/udp`, `8000-8010/tcp`. */
function portMatcher(value: string): (port: number, proto: string) => boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(value);
  if (!m) throw invalidArgument(`invalid filter '${value}'`);
  const [from, to, proto] = [Number(m[1]), Number(m[2] ?? m[1]), m[3] ?? 'tcp'];
  return (port, p) => p === proto && port >= from && port <= to;
}

export function containerMatches(c: Container, f: Map<string, string[]>, ctx: ListContext): boolean {
  const has = (k: string) => (f.get(k)?.length ?? 0) > 0;
  if (has('id') && !f.get('id')!.some((p) => c.id.startsWith(p))) return false;
  // As moby: a pattern may be written for the name with its slash (`^/web$`) or without it.
  if (has('name') && !f.get('name')!.some((n) => new RegExp(n).test(c.name) || new RegExp(n).test(c.name.slice(1)))) return false;
  if (has('label') && !matchLabels(c.config.Labels, f.get('label')!)) return false;
  if (has('label!') && f.get('label!')!.some((l) => matchLabels(c.config.Labels, [l]))) return false;
  if (has('status') && !f.get('status')!.includes(c.state.status)) return false;
  if (has('exited')) {
    if (c.state.status !== 'exited') return false;
    if (!f.get('exited')!.some((e) => Number(e) === c.state.exitCode)) return false;
  }
  if (has('ancestor')) {
    const ok = f.get('ancestor')!.some((a) => {
      try {
        return ctx.ancestorIds(a).has(c.imageId);
      } catch {
        return false;
      }
    });
    if (!ok) return false;
  }
  if (has('network')) {
    const on = ctx.networks(c);
    if (!f.get('network')!.some((v) => on.some((n) => n.name === v || n.id.startsWith(v)))) return false;
  }
  if (has('publish')) {
    const published = ctx.published(c);
    if (!f.get('publish')!.map(portMatcher).some((m) => published.some((p) => m(p.hostPort, p.proto)))) return false;
  }
  if (has('expose')) {
    const exposed = [
      ...Object.keys(c.config.ExposedPorts ?? {}).map((k) => ({ port: Number(k.split('/')[0]), proto: k.split('/')[1] ?? 'tcp' })),
      ...ctx.published(c).map((p) => ({ port: p.containerPort, proto: p.proto })),
    ];
    if (!f.get('expose')!.map(portMatcher).some((m) => exposed.some((p) => m(p.port, p.proto)))) return false;
  }
  if (has('before')) {
    const ref = ctx.lookup(f.get('before')![0]!);
    if (!(c.createdAt < ref.createdAt)) return false;
  }
  if (has('since')) {
    const ref = ctx.lookup(f.get('since')![0]!);
    if (!(c.createdAt > ref.createdAt)) return false;
  }
  return true;
}

/** `until` of prune: a unix timestamp, an RFC 3339 date, or a duration like 10m, 2h. */
export function untilCutoff(value: string, now = Date.now()): number {
  const duration = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(value);
  if (duration) {
    const unit = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 'ns'];
    return now - Number(duration[1]) * unit;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`invalid filter 'until=${value}'`);
  return t;
}
