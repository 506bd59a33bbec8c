// The host's side of kapal's networks: bridges and veth pairs, made with iproute2 in batches (one
// spawn per change, whatever its size). Bridges kapald creates carry the alias `kapal <tag>`, so
// the reconcile at start (and a test's clean-up) finds its own and never another kapald's or the
// user's. Addresses inside a running container's namespace (network connect) go through nsenter;
// a starting container configures its own interfaces (the shim's `netif` records).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface VethRequest {
  /** The host end, on `bridge`. */
  hostIf: string;
  bridge: string;
  /** The peer's name inside the container (eth0, eth1, ...). */
  containerIf: string;
  mac: string;
  mtu: number;
}

export interface InterfaceAddress {
  name: string;
  address: string;
  prefixLength: number;
}

const IFNAME = /^[a-zA-Z0-9_.-]{1,15}$/;

function checkName(name: string): string {
  if (!IFNAME.test(name)) throw new Error(`invalid interface name: ${JSON.stringify(name)}`);
  return name;
}

/** Runs `cmd args` with `input` on stdin; rejects with its stderr. */
export function runTool(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => {}); // the tool may exit before reading everything: its stderr says why
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || `exit ${code}`}`))));
    child.stdin.end(input);
  });
}

export class HostLinks {
  constructor(private readonly tag: string) {}

  get alias(): string {
    return `kapal ${this.tag}`;
  }

  static exists(name: string): boolean {
    return existsSync(`/sys/class/net/${checkName(name)}`);
  }

  /** The bridge, up, with the gateway address; created (and tagged as this kapald's) when missing. */
  async ensureBridge(b: { name: string; gateway: string; prefixLength: number; mtu: number }): Promise<void> {
    const name = checkName(b.name);
    const lines: string[] = [];
    if (!HostLinks.exists(name)) lines.push(`link add ${name} mtu ${b.mtu} type bridge`, `link set dev ${name} alias "${this.alias}"`);
    lines.push(`addr replace ${b.gateway}/${b.prefixLength} dev ${name}`, `link set dev ${name} up`);
    await runTool('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
  }

  /** Deletes a link (a bridge, or a veth with its peer); a missing one is fine. */
  async deleteLink(name: string): Promise<void> {
    if (!HostLinks.exists(name)) return;
    await runTool('ip', ['-batch', '-'], `link del ${checkName(name)}\n`);
  }

  /** Creates the veths of a starting container, each peer named and addressed inside netns `pid`: one spawn. */
  async addVeths(pid: number, veths: VethRequest[]): Promise<void> {
    if (veths.length === 0) return;
    const lines = veths.map(
      (v) => `link add ${checkName(v.hostIf)} mtu ${v.mtu} master ${checkName(v.bridge)} up type veth peer name ${checkName(v.containerIf)} address ${v.mac} netns ${pid}`,
    );
    await runTool('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
  }

  /** Addresses (and the default route) inside a running container's netns, as `configure_network` does at start. */
  async configureInside(pid: number, ifaces: InterfaceAddress[], gateway?: string): Promise<void> {
    const lines = ifaces.flatMap((i) => [`addr add ${i.address}/${i.prefixLength} brd + dev ${checkName(i.name)}`, `link set dev ${i.name} up`]);
    if (gateway) lines.push(`route replace default via ${gateway}`);
    await runTool('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', '-batch', '-'], `${lines.join('\n')}\n`);
  }

  /** Bridges this kapald created (by their alias). */
  ownBridges(): string[] {
    return bridgesWithAlias(this.alias);
  }
}

/** Bridges whose alias is `alias` (synchronous: the test helpers' exit-time clean-up uses it too). */
export function bridgesWithAlias(alias: string): string[] {
  const out = spawnSync('ip', ['-j', '-d', 'link', 'show', 'type', 'bridge'], { encoding: 'utf8' });
  if (out.status !== 0) return [];
  const links = JSON.parse(out.stdout || '[]') as { ifname: string; ifalias?: string }[];
  return links.filter((l) => l.ifalias === alias).map((l) => l.ifname);
}
