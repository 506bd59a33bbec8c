// Which hosts serve a repository and how to reach each: docker.io's mirrors (pulls only) then its
// real API host, and, per host, HTTPS with verification or, for insecure registries, HTTPS without
// verification falling back to plain HTTP. The rules are dockerd's (registry/config.go).

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { registryHost, type Reference } from '../reference.js';

export type Scheme = 'https' | 'http';

export interface Endpoint {
  /** `host[:port]`, as in a URL's authority. */
  host: string;
  /** A mirror's scheme is the one its URL names; otherwise the host's policy decides. */
  scheme?: Scheme;
  mirror: boolean;
}

export interface Connection {
  /** Tried in order; the next one only when the previous failed below HTTP (refused, TLS). */
  schemes: Scheme[];
  verifyTls: boolean;
}

// dockerd treats 127.0.0.0/8 as insecure by default; ::1 is the same machine too.
const LOOPBACK: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
];

export class EndpointPolicy {
  private readonly names = new Set<string>();
  private readonly cidrs = new net.BlockList();
  private readonly verdicts = new Map<string, Promise<boolean>>();

  constructor(
    insecure: string[],
    private readonly mirrors: string[],
    /** Where docker.io's API lives; only tests, which must stay on loopback, change it. */
    private readonly officialHost?: string,
  ) {
    for (const [address, prefix, family] of LOOPBACK) this.cidrs.addSubnet(address, prefix, family);
    for (const raw of insecure) {
      // dockerd strips a scheme from insecure-registries entries (with a warning).
      const entry = raw.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
      const family = cidr ? net.isIP(cidr[1]!) : 0;
      if (cidr && family !== 0) this.cidrs.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6');
      else this.names.add(entry.toLowerCase());
    }
  }

  /** Pulls of docker.io go to each mirror first; pushes and other registries have one endpoint. */
  endpoints(ref: Reference, purpose: 'pull' | 'push'): Endpoint[] {
    const own: Endpoint = { host: ref.domain === 'docker.io' ? (this.officialHost ?? registryHost(ref)) : registryHost(ref), mirror: false };
    if (ref.domain !== 'docker.io' || purpose === 'push') return [own];
    const mirrors = this.mirrors.flatMap((m): Endpoint[] => {
      try {
        const url = new URL(m);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return [];
        return [{ host: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https', mirror: true }];
      } catch {
        return [];
      }
    });
    return [...mirrors, own];
  }

  /** How to talk to `host` (host[:port]): resolved lazily, so hosts never contacted are never looked up. */
  async connection(host: string, scheme?: Scheme): Promise<Connection> {
    const insecure = await this.isInsecure(host);
    if (scheme === 'http') return { schemes: ['http'], verifyTls: false };
    if (scheme === 'https' || !insecure) return { schemes: ['https'], verifyTls: !insecure };
    return { schemes: ['https', 'http'], verifyTls: false };
  }

  /** Listed by name (`host:port` exactly), or an address of the host in a listed CIDR or loopback. */
  isInsecure(host: string): Promise<boolean> {
    const key = host.toLowerCase();
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      verdict = this.decide(key);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  private async decide(host: string): Promise<boolean> {
    if (this.names.has(host)) return true;
    const name = hostname(host);
    if (name === 'localhost') return true;
    let addresses: string[];
    if (net.isIP(name) !== 0) {
      addresses = [name];
    } else {
      try {
        addresses = (await lookup(name, { all: true })).map((a) => a.address);
      } catch {
        return false; // as dockerd: a name that does not resolve is treated as secure
      }
    }
    return addresses.some((a) => this.cidrs.check(a, net.isIP(a) === 6 ? 'ipv6' : 'ipv4'));
  }
}

/** `host` of `host:port`, `::1` of `[::1]:5000`. */
export function hostname(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(1, authority.indexOf(']'));
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}
