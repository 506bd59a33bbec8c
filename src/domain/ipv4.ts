// IPv4 addresses and subnets as numbers: parsing, containment, overlap. IPv6 is not supported by
// kapal's networks yet.

import { invalidArgument } from './errors.js';

export interface Subnet {
  /** The network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return QUAD.test(s);
}

export function ipToNumber(ip: string): number {
  if (!isIPv4(ip)) throw invalidArgument(`invalid IPv4 address: ${ip}`);
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** "10.1.2.0/24"; the address is masked to the network ("10.1.2.3/24" is 10.1.2.0/24, as in Go's ParseCIDR). */
export function parseSubnet(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !isIPv4(m[1]!) || prefix > 32) throw invalidArgument(`invalid CIDR address: ${cidr}`);
  return { base: (ipToNumber(m[1]!) & maskOf(prefix)) >>> 0, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${numberToIp(s.base)}/${s.prefix}`;
}

export function subnetSize(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & maskOf(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(p)) >>> 0) === ((b.base & maskOf(p)) >>> 0);
}

/** The addresses a subnet can hand out: all but the network and broadcast addresses (both kept for /31 and /32). */
export function hostRange(s: Subnet): { first: number; last: number } {
  if (s.prefix >= 31) return { first: s.base, last: s.base + subnetSize(s) - 1 };
  return { first: s.base + 1, last: s.base + subnetSize(s) - 2 };
}
