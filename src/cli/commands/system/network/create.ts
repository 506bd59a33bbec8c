// kapal network create: POST /networks/create with docker's body, then the new network's ID.
// --subnet, --ip-range and --gateway are matched up per subnet as docker's createIPAMConfig does.

import { BlockList, isIP } from 'node:net';
import type { Command } from '../../../command.js';
import { bool, list, str } from '../../../flags.js';
import { keyValues, labelMap } from '../key-values.js';

interface IpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
}

/** docker's flag.StringSlice: repeatable, and each value may hold several, comma-separated. */
const slice = (values: string[]) => values.flatMap((v) => v.split(',')).filter((v) => v !== '');

function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', prefixText = '', extra] = cidr.split('/');
  const version = isIP(address);
  const prefix = Number(prefixText);
  if (extra !== undefined || version === 0 || !/^\d+$/.test(prefixText) || prefix > (version === 4 ? 32 : 128)) {
    throw new Error(`invalid CIDR address: ${cidr}`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Whether `data` (an address or a CIDR) lies in `subnet`. */
function subnetMatches(subnet: string, data: string): boolean {
  let s: ReturnType<typeof parseCidr>;
  try {
    s = parseCidr(subnet);
  } catch (err) {
    throw new Error(`invalid subnet: ${(err as Error).message}`);
  }
  const address = data.includes('/') ? parseCidr(data).address : data;
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (isIP(address) === 0 || family !== s.family) return false;
  const block = new BlockList();
  block.addSubnet(s.address, s.prefix, s.family);
  return block.check(address, family);
}

export function ipamConfig(subnets: string[], ipRanges: string[], gateways: string[]): IpamConfig[] {
  if (subnets.length < ipRanges.length || subnets.length < gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const configs = new Map<string, IpamConfig>();
  for (const s of subnets) {
    for (const k of configs.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    configs.set(s, { Subnet: s });
  }
  for (const r of ipRanges) {
    parseCidr(r);
    const s = subnets.find((subnet) => subnetMatches(subnet, r));
    if (s === undefined) throw new Error(`no matching subnet for range ${r}`);
    const config = configs.get(s)!;
    if (config.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${config.IPRange}) on the same subnet (${s})`);
    config.IPRange = r;
  }
  for (const g of gateways) {
    const s = subnets.find((subnet) => subnetMatches(subnet, g));
    if (s === undefined) throw new Error(`no matching subnet for gateway ${g}`);
    const config = configs.get(s)!;
    if (config.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${config.Gateway}) for the same subnet (${s})`);
    config.Gateway = g;
  }
  return [...configs.values()];
}

const create: Command = {
  usage: '[OPTIONS] NETWORK',
  flags: {
    attachable: { help: 'Enable manual container attachment' },
    driver: { short: 'd', arg: 'string', help: 'Driver to manage the Network', default: '"bridge"' },
    gateway: { arg: 'strings', multi: true, help: 'IPv4 or IPv6 Gateway for the master subnet' },
    internal: { help: 'Restrict external access to the network' },
    'ip-range': { arg: 'strings', multi: true, help: 'Allocate container ip from a sub-range' },
    label: { arg: 'list', multi: true, help: 'Set metadata on a network' },
    opt: { short: 'o', arg: 'map', multi: true, help: 'Set driver specific options', default: 'map[]' },
    subnet: { arg: 'strings', multi: true, help: 'Subnet in CIDR format that represents a network segment' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, [name]) {
    const labels = labelMap(list(flags, 'label'), '--label');
    const config = ipamConfig(slice(list(flags, 'subnet')), slice(list(flags, 'ip-range')), slice(list(flags, 'gateway')));
    const created = await ctx.api.json<{ Id: string }>('POST', '/networks/create', {
      Name: name,
      Driver: str(flags, 'driver') ?? 'bridge',
      Scope: '',
      IPAM: { Driver: 'default', Options: {}, Config: config },
      Internal: bool(flags, 'internal'),
      Attachable: bool(flags, 'attachable'),
      Ingress: false,
      ConfigOnly: false,
      ConfigFrom: null,
      Options: keyValues(list(flags, 'opt')),
      Labels: labels,
    });
    process.stdout.write(`${created.Id}\n`);
    return 0;
  },
};

export default create;
