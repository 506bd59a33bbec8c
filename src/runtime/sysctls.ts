// `--sysctl`: only settings that belong to one of the container's own namespaces (IPC, network,
// UTS), as runc allows them; the rest would change the host.

import { invalidArgument } from '../domain/errors.js';

const IPC = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const NAME = /^[a-z0-9_]+(\.[a-zA-Z0-9_-]+)+$/;

export function containerSysctls(sysctls: Record<string, string> | null | undefined, opts: { hostNetwork: boolean }): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(sysctls ?? {})) {
    const name = key.replace(/\//g, '.');
    if (!NAME.test(name) || name.includes('..')) throw invalidArgument(`invalid sysctl name ${JSON.stringify(key)}`);
    if (/[\n\0]/.test(value)) throw invalidArgument(`invalid value for sysctl ${key}`);
    if (name === 'kernel.hostname') throw invalidArgument(`sysctl "${key}" is not allowed as it conflicts with the --hostname option`);
    const ok = IPC.has(name) || name.startsWith('fs.mqueue.') || name === 'kernel.domainname' || (name.startsWith('net.') && !opts.hostNetwork);
    if (!ok) {
      if (name.startsWith('net.')) throw invalidArgument(`sysctl "${key}" not allowed in host network namespace`);
      throw invalidArgument(`sysctl "${key}" is not in a separate kernel namespace`);
    }
    out.push([name, value]);
  }
  return out;
}
