// Network use cases: the predefined networks and the reconcile at start, docker's networks API
// (list, inspect, create, remove, prune, connect, disconnect), and what containers need from
// their networks (endpoints.ts). Machine work is NetworkRuntime's; the store has the truth.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Container } from '../../domain/container.js';
import { isRunning } from '../../domain/container-lifecycle.js';
import { forbidden, invalidArgument, KapalError, notFound } from '../../domain/errors.js';
import { formatSubnet, isIPv4, numberToIp, overlaps, parseSubnet, type Subnet } from '../../domain/ipv4.js';
import { BRIDGE_DISABLED, BRIDGE_NAME_OPTION, MTU_OPTION, VALID_NETWORK_NAME, mtuOf, prefixLengthOf, type Endpoint, type EndpointConfig, type Network } from '../../domain/network.js';
import type { NetworkRuntime } from '../../runtime/network/network-runtime.js';
import type { DnsUpstream } from '../../runtime/network/dns-server.js';
import type { ContainerStore } from '../../store/container-store.js';
import type { NetworkStore } from '../../store/network-store.js';
import type { EventService } from '../events.js';
import type { Logger } from '../containers/queries.js';
import { checkFilters, matchLabels, untilCutoff } from '../containers/filters.js';
import { hostRoutes, inSubnet, pickSubnet, type AddressPool } from './ipam.js';
import { ContainerEndpoints } from './endpoints.js';

export interface NetworkConfig {
  /** The default bridge's device (--bridge), or BRIDGE_DISABLED. */
  bridge: string;
  /** Its address and subnet (--bip), e.g. "172.17.0.1/16"; picked from the pools when absent. */
  bip?: string | undefined;
  pools: AddressPool[];
  mtu: number;
  ipForward: boolean;
}

export interface NetworkServiceDeps {
  store: NetworkStore;
  containers: ContainerStore;
  /** moby's container lookup (ID, name, unique prefix); set once the container service exists. */
  findContainer: (ref: string) => Container | undefined;
  runtime: NetworkRuntime;
  /** Rewrites a running container's /etc/hosts and /etc/resolv.conf (network connect, disconnect). */
  updateFiles: (c: Container, hostsEntries: { ip: string; names: string[] }[], nameservers: string[] | undefined) => void;
  events: EventService;
  log: Logger;
  config: NetworkConfig;
}

export interface NetworkCreateRequest {
  Name: string;
  Driver?: string | undefined;
  Internal?: boolean | undefined;
  Attachable?: boolean | undefined;
  EnableIPv6?: boolean | null | undefined;
  IPAM?: { Driver?: string | undefined; Config?: { Subnet?: string | undefined; IPRange?: string | undefined; Gateway?: string | undefined }[] | null | undefined; Options?: Record<string, string> | null | undefined } | null | undefined;
  Options?: Record<string, string> | null | undefined;
  Labels?: Record<string, string> | null | undefined;
}

const PREDEFINED = ['bridge', 'host', 'none'];
const now = () => new Date().toISOString();
const newId = () => randomBytes(32).toString('hex');

export class NetworkService {
  readonly endpoints: ContainerEndpoints;

  constructor(private readonly deps: NetworkServiceDeps) {
    this.endpoints = new ContainerEndpoints(deps, () => this.rules(), (n) => this.ensureBridge(n));
  }

  // ---- start: the predefined networks, the machine reconciled with the store ----------------------

  async init(): Promise<void> {
    const { store, runtime, log } = this.deps;
    this.ensurePredefined();
    const bridges = store.list().filter((n) => n.driver === 'bridge');
    for (const n of bridges) await this.ensureBridge(n);
    const wanted = new Set(bridges.map((n) => n.bridge));
    for (const name of runtime.links.ownBridges()) {
      if (wanted.has(name)) continue;
      log.info({ bridge: name }, 'removing a bridge no network of this kapald uses');
      await runtime.links.deleteLink(name).catch((err) => log.warn({ err, bridge: name }, 'could not remove a stale bridge'));
    }
    if (this.deps.config.ipForward) runtime.enableForwarding();
    for (const n of bridges) if (!n.predefined) await this.startDns(n);
  }

  private ensurePredefined(): void {
    const { store, config, log } = this.deps;
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!store.byName(name)) store.insert(this.newNetwork({ name, driver, predefined: true }));
    }
    const existing = store.byName('bridge');
    if (config.bridge === BRIDGE_DISABLED) {
      // As dockerd, which deletes the default network at start and creates it again unless
      // disabled; one that containers still name stays until they are gone.
      if (existing && store.endpointsOn(existing.id).length === 0) store.remove(existing.id);
      else if (existing) log.warn({ containers: store.endpointsOn(existing.id).length }, '--bridge none: the default bridge network stays while containers are connected to it');
      return;
    }
    let gateway: string;
    let subnet: string;
    if (config.bip) {
      const s = parseSubnet(config.bip);
      gateway = config.bip.split('/')[0]!;
      subnet = formatSubnet(s);
      if (gateway === subnet.split('/')[0]) throw invalidArgument(`--bip ${config.bip}: give the bridge's address, not the network's`);
    } else if (existing?.subnet && existing.gateway) {
      ({ subnet, gateway } = { subnet: existing.subnet, gateway: existing.gateway });
    } else {
      const s = pickSubnet(config.pools, [...this.subnetsInUse(existing?.id), ...hostRoutes()]);
      subnet = formatSubnet(s);
      gateway = ipAfter(s);
    }
    const options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      [BRIDGE_NAME_OPTION]: config.bridge,
      [MTU_OPTION]: String(config.mtu),
    };
    if (!existing) store.insert(this.newNetwork({ name: 'bridge', driver: 'bridge', predefined: true, bridge: config.bridge, subnet, gateway, options }));
    else if (existing.bridge !== config.bridge || existing.subnet !== subnet || existing.gateway !== gateway) store.setAddressing(existing.id, config.bridge, subnet, gateway);
  }

  private newNetwork(n: Partial<Network> & Pick<Network, 'name' | 'driver'>): Network {
    return {
      id: newId(), bridge: null, subnet: null, gateway: null, ipRange: null, internal: false, attachable: false,
      predefined: false, labels: {}, options: {}, createdAt: now(), ...n,
    };
  }

  private subnetsInUse(except?: string): Subnet[] {
    return this.deps.store.list().filter((n) => n.subnet && n.id !== except).map((n) => parseSubnet(n.subnet!));
  }

  private async ensureBridge(n: Network): Promise<void> {
    await this.deps.runtime.links.ensureBridge({ name: n.bridge!, gateway: n.gateway!, prefixLength: prefixLengthOf(n), mtu: mtuOf(n, this.deps.config.mtu) });
  }

  /** The nftables table, from every bridge network and every published port. */
  rules(): Promise<void> {
    const { store, runtime } = this.deps;
    const networks = store.list().filter((n) => n.driver === 'bridge' && n.bridge && n.subnet);
    return runtime.applyRules({
      networks: networks.map((n) => ({ bridge: n.bridge!, subnet: n.subnet!, internal: n.internal })),
      ports: store.allPorts().map((p) => ({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort, bridge: p.bridge })),
    });
  }

  private async startDns(n: Network): Promise<void> {
    try {
      await this.deps.runtime.startDns(n.id, {
        address: n.gateway!,
        // Only this network's containers ask; an internal network has no way out, not even for names.
        accepts: (client) => isIPv4(client) && inSubnet(n.subnet!, client),
        resolve: (name, client) => this.endpoints.resolveName(n.id, name, client),
        reverse: (ip) => this.endpoints.reverseName(n.id, ip),
        upstreams: n.internal ? () => [] : hostResolvers,
      });
    } catch (err) {
      this.deps.log.warn({ err, network: n.name }, 'the embedded DNS server could not start: containers on this network cannot resolve each other by name');
    }
  }

  // ---- lookups and the list ---------------------------------------------------------------------

  /** moby's lookup: full ID, exact name, unique ID prefix. */
  find(ref: string): Network | undefined {
    const { store } = this.deps;
    if (/^[a-f0-9]{64}$/.test(ref)) {
      const n = store.get(ref);
      if (n) return n;
    }
    const byName = store.byName(ref);
    if (byName) return byName;
    if (/^[a-f0-9]+$/.test(ref)) {
      const matches = store.byIdPrefix(ref);
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw invalidArgument(`network ${ref} is ambiguous (${matches.length} matches found on name)`);
    }
    return undefined;
  }

  get(ref: string): Network {
    const n = this.find(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  list(filters: Map<string, string[]>): Network[] {
    checkFilters(filters, new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']));
    const dangling = filters.get('dangling');
    if (dangling?.some((d) => !['true', 'false', '1', '0'].includes(d))) throw invalidArgument(`invalid filter 'dangling=${dangling.join(',')}'`);
    const type = filters.get('type');
    if (type?.some((t) => t !== 'custom' && t !== 'builtin')) throw invalidArgument(`invalid filter: 'type'='${type.join(',')}'`);
    return this.deps.store.list().filter((n) => {
      const any = (key: string, test: (v: string) => boolean) => !filters.has(key) || filters.get(key)!.some(test);
      return (
        any('driver', (v) => v === n.driver) &&
        any('id', (v) => n.id.startsWith(v)) &&
        any('name', (v) => n.name.includes(v)) &&
        any('scope', (v) => v === 'local') &&
        any('type', (v) => (v === 'builtin') === n.predefined) &&
        any('dangling', (v) => (v === 'true' || v === '1') === (!n.predefined && this.deps.store.endpointsOn(n.id).length === 0)) &&
        (!filters.has('label') || matchLabels(n.labels, filters.get('label')!))
      );
    });
  }

  /** The containers on a network as inspect lists them: running ones, with their addresses. */
  containersOn(n: Network): { container: Container; endpoint: Endpoint }[] {
    const out = [];
    for (const e of this.deps.store.endpointsOn(n.id)) {
      const c = this.deps.containers.get(e.containerId);
      if (c && isRunning(c.state.status)) out.push({ container: c, endpoint: e });
    }
    return out;
  }

  // ---- create, remove, prune --------------------------------------------------------------------

  async create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const { store, config } = this.deps;
    const driver = req.Driver || 'bridge';
    if (!VALID_NETWORK_NAME.test(req.Name)) throw invalidArgument(`invalid network name "${req.Name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
    if (req.EnableIPv6) throw invalidArgument('IPv6 networks are not supported by kapal yet');
    if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') throw notFound(`plugin "${req.IPAM.Driver}" not found`);
    if (PREDEFINED.includes(req.Name)) throw forbidden(`operation is not permitted on predefined ${req.Name} network `);
    if (store.byName(req.Name)) throw new KapalError('Conflict', `network with name ${req.Name} already exists`);
    const ipam = (req.IPAM?.Config ?? []).filter((c) => !c.Subnet?.includes(':'));
    if (ipam.length > 1) throw invalidArgument('kapal networks take one IPv4 subnet');
    const wanted = ipam[0] ?? {};
    const taken = this.subnetsInUse();
    let subnet: Subnet;
    if (wanted.Subnet) {
      subnet = parseNetworkSubnet(wanted.Subnet);
      if (subnet.prefix > 30) throw invalidArgument(`invalid subnet ${wanted.Subnet}: a network needs room for a gateway and a container`);
      if (taken.some((t) => overlaps(t, subnet))) throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
    } else {
      if (wanted.Gateway || wanted.IPRange) throw invalidArgument('a gateway or ip-range needs a subnet');
      subnet = pickSubnet(config.pools, [...taken, ...hostRoutes()]);
    }
    const subnetText = formatSubnet(subnet);
    const gateway = wanted.Gateway || ipAfter(subnet);
    if (!isIPv4(gateway) || !inSubnet(subnetText, gateway)) throw invalidArgument(`invalid network config:\ninvalid gateway ${gateway}: parent subnet ${subnetText} doesn't contain this address`);
    if (wanted.IPRange) {
      const range = parseNetworkSubnet(wanted.IPRange, 'ip-range');
      if (range.prefix < subnet.prefix) throw invalidArgument(`invalid network config:\ninvalid ip-range ${wanted.IPRange}: CIDR block is bigger than its parent subnet ${subnetText}`);
      if (!inSubnet(subnetText, numberToIp(range.base))) throw invalidArgument(`invalid network config:\ninvalid ip-range ${wanted.IPRange}: parent subnet ${subnetText} doesn't contain ip-range`);
    }
    const options = { ...(req.Options ?? {}) };
    const id = newId();
    const bridge = options[BRIDGE_NAME_OPTION] || `kbr-${id.slice(0, 11)}`;
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw invalidArgument(`invalid bridge name ${JSON.stringify(bridge)}`);
    if (store.list().some((n) => n.bridge === bridge)) throw forbidden(`bridge name ${bridge} is already in use by another network`);
    if (options[MTU_OPTION] !== undefined && !/^\d+$/.test(options[MTU_OPTION])) throw invalidArgument(`invalid MTU ${options[MTU_OPTION]}`);
    const n = this.newNetwork({
      id, name: req.Name, driver: 'bridge', bridge, subnet: subnetText, gateway, ipRange: wanted.IPRange ? formatSubnet(parseSubnet(wanted.IPRange)) : null,
      internal: req.Internal ?? false, attachable: req.Attachable ?? false, labels: req.Labels ?? {}, options,
    });
    store.insert(n);
    try {
      await this.ensureBridge(n);
      await this.rules();
    } catch (err) {
      store.remove(n.id);
      await this.deps.runtime.links.deleteLink(bridge).catch(() => {});
      await this.rules().catch(() => {});
      throw err;
    }
    await this.startDns(n);
    this.deps.events.publish('network', 'create', n.id, { name: n.name, type: 'bridge' });
    return { Id: n.id, Warning: '' };
  }

  async remove(ref: string): Promise<void> {
    const n = this.get(ref);
    if (n.predefined) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
    const active = this.containersOn(n);
    if (active.length > 0) {
      const list = active.map((a) => `name:${JSON.stringify(a.container.name.slice(1))} id:${JSON.stringify((a.endpoint.endpointId ?? '').slice(0, 12))}`).join(', ');
      throw forbidden(`error while removing network: network ${n.name} has active endpoints (${list})`);
    }
    await this.deps.runtime.stopDns(n.id);
    this.deps.store.remove(n.id);
    await this.deps.runtime.links.deleteLink(n.bridge!);
    await this.rules();
    this.deps.events.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
  }

  async prune(filters: Map<string, string[]>): Promise<{ NetworksDeleted: string[] | null }> {
    checkFilters(filters, new Set(['until', 'label', 'label!']));
    const cutoffs = (filters.get('until') ?? []).map((u) => untilCutoff(u));
    const deleted: string[] = [];
    for (const n of this.deps.store.list()) {
      if (n.predefined || this.containersOn(n).length > 0) continue;
      if (filters.has('label') && !matchLabels(n.labels, filters.get('label')!)) continue;
      if (filters.has('label!') && filters.get('label!')!.some((l) => matchLabels(n.labels, [l]))) continue;
      if (cutoffs.some((cut) => Date.parse(n.createdAt) >= cut)) continue;
      try {
        await this.remove(n.id);
        deleted.push(n.name);
      } catch (err) {
        this.deps.log.warn({ err, network: n.name }, 'prune could not remove a network');
      }
    }
    return { NetworksDeleted: deleted.length > 0 ? deleted : null };
  }

  // ---- connect and disconnect -------------------------------------------------------------------

  async connect(ref: string, containerRef: string, config: EndpointConfig): Promise<void> {
    const n = this.get(ref);
    const c = this.deps.findContainer(containerRef);
    if (!c) throw notFound(`No such container: ${containerRef}`);
    await this.endpoints.connect(c, n, config);
    this.deps.events.publish('network', 'connect', n.id, { container: c.id, name: n.name, type: n.driver });
  }

  async disconnect(ref: string, containerRef: string, force: boolean): Promise<void> {
    const n = this.get(ref);
    const c = this.deps.findContainer(containerRef);
    if (!c) {
      if (force) return;
      throw notFound(`No such container: ${containerRef}`);
    }
    await this.endpoints.disconnect(c, n);
    this.deps.events.publish('network', 'disconnect', n.id, { container: c.id, name: n.name, type: n.driver });
  }

  async close(): Promise<void> {
    await this.deps.runtime.close();
  }
}

/** A subnet as docker checks it: parsable, and written as the network (no host bits). */
function parseNetworkSubnet(cidr: string, what = 'subnet'): Subnet {
  let s: Subnet;
  try {
    s = parseSubnet(cidr);
  } catch {
    throw invalidArgument(`invalid network config:\ninvalid ${what} ${cidr}: invalid CIDR block notation`);
  }
  if (formatSubnet(s) !== cidr) throw invalidArgument(`invalid network config:\ninvalid ${what} ${cidr}: it should be ${formatSubnet(s)}`);
  return s;
}

function ipAfter(s: Subnet): string {
  return formatSubnet({ base: s.base + 1, prefix: 32 }).split('/')[0]!;
}

/** The host's name servers (kapald runs in the host's namespace, so loopback ones work too). */
export function hostResolvers(): DnsUpstream[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((ip): ip is string => ip !== undefined && !ip.includes(':'))
      .map((host) => ({ host, port: 53 }));
  } catch {
    return [];
  }
}

