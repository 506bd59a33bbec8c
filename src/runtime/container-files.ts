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

/** The host's resolv.conf without loopback name servers, which mean nothing in another netns (moby's rule). */
export function containerResolvConf(host: string): string {
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
  opts: { hostname: string; hostNetwork: boolean; owner?: { rootUid: number; rootGid: number } | undefined },
): BindSpec[] {
  if (opts.hostNetwork) {
    return [
      { source: '/etc/hosts', target: '/etc/hosts', readonly: false },
      { source: '/etc/resolv.conf', target: '/etc/resolv.conf', readonly: false },
      { source: '/etc/hostname', target: '/etc/hostname', readonly: false },
    ].filter((b) => readable(b.source));
  }
  writeFileSync(layout.hostnameFile(id), `${opts.hostname}\n`, { mode: 0o644 });
  writeFileSync(layout.hostsFile(id), HOSTS, { mode: 0o644 });
  let host = '';
  try {
    host = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // no resolv.conf on the host: the defaults below
  }
  writeFileSync(layout.resolvConf(id), containerResolvConf(host), { mode: 0o644 });
  // In a user namespace they belong to the container's root, so it can edit them as with docker.
  const owner = opts.owner;
  if (owner) for (const f of [layout.hostnameFile(id), layout.hostsFile(id), layout.resolvConf(id)]) chownSync(f, owner.rootUid, owner.rootGid);
  return [
    { source: layout.hostnameFile(id), target: '/etc/hostname', readonly: false },
    { source: layout.hostsFile(id), target: '/etc/hosts', readonly: false },
    { source: layout.resolvConf(id), target: '/etc/resolv.conf', readonly: false },
  ];
}

function readable(file: string): boolean {
  try {
    readFileSync(file);
    return true;
  } catch {
    return false;
  }
}
