// The files a container sees as /etc/hostname, /etc/hosts and /etc/resolv.conf: written per
// container (docker's way), or the host's own with network mode host.

import { chownSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import type { ContainerLayout } from './container-layout.js';
import type { BindSpec } from './shim/spec.js';

const HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

/**
 * The host's resolv.conf without loopback name servers, which mean nothing in another netns
 * (moby's rule); with `nameservers` (the embedded DNS) only those, and the host's search and options.
 */
export function containerResolvConf(host: string, nameservers?: string[]): string {
  if (nameservers && nameservers.length > 0) {
    const kept = host.split('\n').filter((l) => /^\s*(search|domain|options)\s/.test(l));
    return [...nameservers.map((ns) => `nameserver ${ns}`), ...kept].join('\n') + '\n';
  }
  const lines = host.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
  const hasServer = lines.some((l) => /^\s*nameserver\s/.test(l));
  const out = lines.join('\n').trimEnd();
  return hasServer ? `${out}\n` : `${out}${out ? '\n' : ''}nameserver 8.8.8.8\nnameserver 8.8.4.4\n`;
}

export function hostHostName(): string {
  return hostHostname();
}

/** Writes the container's own files (not for network mode host) and returns the binds for them. */
export function containerFiles(
  layout: ContainerLayout,
  id: string,
  opts: {
    hostname: string;
    hostNetwork: boolean;
    owner?: { rootUid: number; rootGid: number } | undefined;
    /** The container's own addresses and names, after localhost. */
    hostsEntries?: { ip: string; names: string[] }[];
    /** Instead of the host's (the embedded DNS of a user-defined network). */
    nameservers?: string[] | undefined;
  },
): BindSpec[] {
  if (opts.hostNetwork) {
    return [
      { source: '/etc/hosts', target: '/etc/hosts', readonly: false },
      { source: '/etc/resolv.conf', target: '/etc/resolv.conf', readonly: false },
      { source: '/etc/hostname', target: '/etc/hostname', readonly: false },
    ].filter((b) => readable(b.source));
  }
  writeFileSync(layout.hostnameFile(id), `${opts.hostname}\n`, { mode: 0o644 });
  writeNetworkFiles(layout, id, opts.hostsEntries ?? [], opts.nameservers);
  // In a user namespace they belong to the container's root, so it can edit them as with docker.
  const owner = opts.owner;
  if (owner) for (const f of [layout.hostnameFile(id), layout.hostsFile(id), layout.resolvConf(id)]) chownSync(f, owner.rootUid, owner.rootGid);
  return [
    { source: layout.hostnameFile(id), target: '/etc/hostname', readonly: false },
    { source: layout.hostsFile(id), target: '/etc/hosts', readonly: false },
    { source: layout.resolvConf(id), target: '/etc/resolv.conf', readonly: false },
  ];
}

/**
 * /etc/hosts and /etc/resolv.conf of a container from its addresses and name servers; also
 * rewritten in place (same inode, so the container's bind mounts see it) on network connect.
 */
export function writeNetworkFiles(layout: ContainerLayout, id: string, hostsEntries: { ip: string; names: string[] }[], nameservers: string[] | undefined): void {
  const own = hostsEntries.map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join('');
  writeFileSync(layout.hostsFile(id), HOSTS + own, { mode: 0o644 });
  let host = '';
  try {
    host = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no resolv.conf on the host: the defaults
  }
  writeFileSync(layout.resolvConf(id), containerResolvConf(host, nameservers), { mode: 0o644 });
}

function readable(file: string): boolean {
  try {
    readFileSync(file);
    return true;
  } catch {
    return false;
  }
}
