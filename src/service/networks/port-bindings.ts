// docker's PortBindings and PublishAllPorts as the host ports to bind: "80/tcp" keys, HostIp ""
// for all addresses, HostPort "" for one the kernel picks, "8000-8010" for the first free one of
// a range.

import { invalidArgument } from '../../domain/errors.js';
import { isIPv4 } from '../../domain/ipv4.js';
import type { PortProto } from '../../domain/network.js';

export interface PortRequest {
  proto: PortProto;
  containerPort: number;
  hostIp: string;
  /** Candidates in order; [0] lets the kernel choose. */
  hostPorts: number[];
}

const PORT_KEY = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/;

function parsePort(s: string, what: string): number {
  const n = Number(s);
  if (!/^\d{1,5}$/.test(s) || n < 0 || n > 65535) throw invalidArgument(`invalid ${what}: ${s}`);
  return n;
}

export function parsePortKey(key: string): { proto: PortProto; port: number } {
  const m = PORT_KEY.exec(key);
  if (!m) throw invalidArgument(`invalid port specification: "${key}"`);
  if (m[2] === 'sctp') throw invalidArgument(`sctp ports are not supported by kapal: "${key}"`);
  const port = parsePort(m[1]!, 'containerPort');
  if (port === 0) throw invalidArgument(`invalid port specification: "${key}"`);
  return { proto: (m[2] ?? 'tcp') as PortProto, port };
}

function hostPorts(spec: string): number[] {
  if (spec === '') return [0];
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (!range) return [parsePort(spec, 'hostPort')];
  const [from, to] = [parsePort(range[1]!, 'hostPort'), parsePort(range[2]!, 'hostPort')];
  if (to < from) throw invalidArgument(`invalid hostPort: ${spec}`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The bindings to make, checked: a bad one is a 400 at create, before anything exists. */
export function portRequests(
  bindings: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null | undefined,
  publishAll: boolean,
  exposed: Record<string, object> | undefined,
): PortRequest[] {
  const out: PortRequest[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const { proto, port } = parsePortKey(key);
    seen.add(`${port}/${proto}`);
    for (const b of list ?? [{}]) {
      const hostIp = b.HostIp ?? '';
      if (hostIp !== '' && !isIPv4(hostIp)) throw invalidArgument(`invalid host IP ${JSON.stringify(hostIp)}: kapal publishes ports on IPv4 addresses only`);
      out.push({ proto, containerPort: port, hostIp: hostIp === '' ? '0.0.0.0' : hostIp, hostPorts: hostPorts(b.HostPort ?? '') });
    }
  }
  if (publishAll) {
    for (const key of Object.keys(exposed ?? {})) {
      const { proto, port } = parsePortKey(key);
      if (!seen.has(`${port}/${proto}`)) out.push({ proto, containerPort: port, hostIp: '0.0.0.0', hostPorts: [0] });
    }
  }
  return out;
}
