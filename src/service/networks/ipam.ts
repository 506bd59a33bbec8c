// Address management, docker's way: subnets for new networks come from the default address pools
// (skipping ones that overlap another network or a route of the host), addresses go out
// round-robin after the last one handed out, so a released address is not reused at once.

import { readFileSync } from 'node:fs';
import { forbidden } from '../../domain/errors.js';
import { contains, formatSubnet, hostRange, ipToNumber, numberToIp, overlaps, parseSubnet, subnetSize, type Subnet } from '../../domain/ipv4.js';

/** dockerd's --default-address-pool: `base` split into subnets of `size` bits. */
export interface AddressPool {
  base: string;
  size: number;
}

/** docker's defaults: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export const DEFAULT_POOLS: AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/16', size: 16 }, { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 }, { base: '172.24.0.0/14', size: 16 }, { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/** The IPv4 routes of the host (/proc/net/route): a new network's subnet must not overlap one. */
export function hostRoutes(): Subnet[] {
  let text = '';
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return [];
  }
  const out: Subnet[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] === '00000000') continue; // the default route overlaps everything
    // Network byte order printed as hex: read back little-endian, it is the address as a number.
    const dest = Buffer.from(f[1]!, 'hex').readUInt32LE(0);
    const mask = Buffer.from(f[7]!, 'hex').readUInt32LE(0);
    let prefix = 0;
    for (let i = 0; i < 32; i++) prefix += (mask >>> i) & 1;
    out.push({ base: (dest & mask) >>> 0, prefix });
  }
  return out;
}

/** The first subnet of the pools that overlaps nothing in `taken`. */
export function pickSubnet(pools: AddressPool[], taken: Subnet[]): Subnet {
  for (const pool of pools) {
    const base = parseSubnet(pool.base);
    const step = 2 ** (32 - pool.size);
    for (let n = base.base; n < base.base + subnetSize(base); n += step) {
      const candidate: Subnet = { base: n >>> 0, prefix: pool.size };
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  throw forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/**
 * The next free address of `range` (within `subnet`) after `last`, wrapping around; never the
 * gateway, never one in `used`. Undefined when the range is full.
 */
export function nextAddress(subnet: Subnet, range: Subnet, gateway: string | null, used: Set<string>, last: string | null): string | undefined {
  const hosts = hostRange(subnet);
  const first = Math.max(hosts.first, range.base);
  const end = Math.min(hosts.last, range.base + subnetSize(range) - 1);
  const count = end - first + 1;
  if (count <= 0) return undefined;
  const lastN = last ? ipToNumber(last) : first - 1;
  const start = lastN >= first && lastN <= end ? lastN + 1 : first;
  for (let i = 0; i < count; i++) {
    const n = first + ((start - first + i) % count);
    const ip = numberToIp(n);
    if (ip !== gateway && !used.has(ip)) return ip;
  }
  return undefined;
}

export function inSubnet(subnet: string, ip: string): boolean {
  return contains(parseSubnet(subnet), ipToNumber(ip));
}

export { formatSubnet, parseSubnet };
