// kapald's one nftables table (family inet): bridge isolation, masquerading and published ports,
// rendered from a model and replaced whole in one `nft -f -` transaction. Touches no other table.

import { spawn, spawnSync } from 'node:child_process';
import { invalidArgument } from '../../domain/errors.js';

export interface NftNetwork { bridge: string; subnet: string /* "172.18.0.0/16" */; internal: boolean }
export interface NftPort {
  proto: 'tcp' | 'udp';
  hostIp: string /* '' = any */;
  hostPort: number;
  containerIp: string;
  containerPort: number;
  bridge: string /* the container's network bridge */;
}
export interface NftModel { networks: NftNetwork[]; ports: NftPort[] }

const NFT = 'nft';
const IFNAME = /^[a-zA-Z0-9_.-]{1,15}$/;
const TAG = /^[a-z0-9]{1,16}$/;
/** Only tables named kapal*: a misconfigured name can never replace someone else's table. */
const TABLE = /^kapal[A-Za-z0-9_]{0,59}$/;
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** A valid nft table name for a kapald instance from a short tag (e.g. 8 hex chars of a hash of its data root): `kapal_<tag>`. */
export function tableName(tag: string): string {
  if (!TAG.test(tag)) throw invalidArgument(`invalid nftables table tag ${JSON.stringify(tag)}: want 1-16 of [a-z0-9]`);
  return `kapal_${tag}`;
}

function checkTable(table: string): string {
  if (!TABLE.test(table)) throw invalidArgument(`invalid nftables table name ${JSON.stringify(table)}: want kapal followed by letters, digits and _`);
  return table;
}

/** An interface name, validated and quoted for the script. */
function ifname(name: string): string {
  if (!IFNAME.test(name)) throw invalidArgument(`invalid interface name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

function ipv4(ip: string): string {
  if (!IPV4.test(ip)) throw invalidArgument(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return ip;
}

/** A network address with its prefix; host bits must be zero (nft would silently widen or reject it). */
function cidr(subnet: string): string {
  const [ip = '', bits = '', ...rest] = subnet.split('/');
  const prefix = Number(bits);
  if (rest.length > 0 || !IPV4.test(ip) || !/^[0-9]{1,2}$/.test(bits) || prefix > 32) {
    throw invalidArgument(`invalid IPv4 subnet ${JSON.stringify(subnet)}`);
  }
  const value = ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  if (value % 2 ** (32 - prefix) !== 0) throw invalidArgument(`subnet ${subnet} has host bits set`);
  return subnet;
}

function port(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalidArgument(`invalid port ${JSON.stringify(n)}`);
  return n;
}

/** Loopback-bound ports are the userland proxy's: DNAT cannot reach a bridge from 127.0.0.0/8. */
const isLoopback = (ip: string) => ip.split('.')[0] === '127';

function forwardRules(networks: NftNetwork[]): string[] {
  const each = (pick: (n: NftNetwork) => boolean, rule: (b: string) => string) =>
    networks.filter(pick).map((n) => rule(ifname(n.bridge)));
  const all = () => true;
  return [
    'ct state established,related accept',
    ...each(all, (b) => `iifname ${b} oifname ${b} accept`),
    ...each((n) => !n.internal, (b) => `oifname ${b} ct status dnat accept`),
    // Nothing new reaches a container from another network or from outside: the isolation.
    ...each(all, (b) => `oifname ${b} drop`),
    // An internal network has no way out.
    ...each((n) => n.internal, (b) => `iifname ${b} drop`),
  ];
}

function portRule(p: NftPort): string {
  if (p.proto !== 'tcp' && p.proto !== 'udp') throw invalidArgument(`invalid protocol ${JSON.stringify(p.proto)}`);
  const daddr = p.hostIp === '' || p.hostIp === '0.0.0.0' ? '' : `ip daddr ${ipv4(p.hostIp)} `;
  return `${daddr}iifname != ${ifname(p.bridge)} ${p.proto} dport ${port(p.hostPort)} ` +
    `dnat ip to ${ipv4(p.containerIp)}:${port(p.containerPort)}`;
}

function chain(name: string, head: string | null, rules: string[]): string {
  const lines = head ? [head, ...rules] : rules;
  return `\tchain ${name} {\n${lines.map((l) => `\t\t${l}\n`).join('')}\t}\n`;
}

/** The whole script: creates the table if missing, deletes it, and defines it again, in one transaction. */
export function renderRuleset(table: string, model: NftModel): string {
  checkTable(table);
  // Validate everything first, so that nothing invalid is ever rendered.
  for (const n of model.networks) { ifname(n.bridge); cidr(n.subnet); }
  const external = model.networks.filter((n) => !n.internal);
  const ports = model.ports.map((p) => ({ rule: portRule(p), skip: p.hostIp !== '' && isLoopback(p.hostIp) }));
  return [
    `table inet ${table} {}\n`,
    `delete table inet ${table}\n`,
    `table inet ${table} {\n`,
    chain('forward', 'type filter hook forward priority filter; policy accept;', forwardRules(model.networks)),
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;',
      external.map((n) => `ip saddr ${cidr(n.subnet)} oifname != ${ifname(n.bridge)} masquerade`)),
    // IPv4 only: the port rules without a daddr match must never see an IPv6 packet.
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;',
      ['meta nfproto ipv4 fib daddr type local jump ports']),
    chain('output', 'type nat hook output priority -100; policy accept;',
      ['ip daddr != 127.0.0.0/8 fib daddr type local jump ports']),
    chain('ports', null, ports.filter((x) => !x.skip).map((x) => x.rule)),
    '}\n',
  ].join('');
}

/** Feeds a script to `nft -f -`; rejects with nft's stderr. */
function runNft(script: string, args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(NFT, [...args, '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (err) => reject(new Error(`nft -f -: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`nft -f - failed (${code ?? signal}): ${stderr.trim()}`));
    });
    child.stdin.on('error', () => {}); // nft exiting early shows up as its exit status and stderr
    child.stdin.end(script);
  });
}

/** Runs `nft -f -` with the script on stdin (one spawn); rejects with nft's stderr on failure. */
export async function applyRuleset(table: string, model: NftModel): Promise<void> {
  return runNft(renderRuleset(table, model));
}

/** `nft -c`: asks the kernel whether it would accept the script, changing nothing. */
export async function checkRuleset(table: string, model: NftModel): Promise<void> {
  return runNft(renderRuleset(table, model), ['-c']);
}

// Creating the table first makes the delete succeed when it is missing (nft 1.0.6 has no `destroy`).
const deleteScript = (table: string) => `table inet ${checkTable(table)} {}\ndelete table inet ${table}\n`;

/** Deletes the table if it exists (one spawn; no error when missing). */
export async function deleteTable(table: string): Promise<void> {
  return runNft(deleteScript(table));
}

/** Synchronous variant for exit-time clean-up in tests. */
export function deleteTableSync(table: string): void {
  const r = spawnSync(NFT, ['-f', '-'], { input: deleteScript(table), stdio: ['pipe', 'ignore', 'pipe'] });
  if (r.error) throw new Error(`nft -f -: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`nft -f - failed (${r.status ?? r.signal}): ${r.stderr.toString().trim()}`);
}
