// What containers get from their networks: the network mode and endpoints checked at create, an
// address, a veth and published ports at start (all released when the container stops), connect
// and disconnect while running, and the names the embedded DNS answers with.

import { randomBytes } from 'node:crypto';
import type { Container } from '../../domain/container.js';
import { isRunning } from '../../domain/container-lifecycle.js';
import { forbidden, invalidArgument, KapalError, notFound } from '../../domain/errors.js';
import { ipToNumber, parseSubnet } from '../../domain/ipv4.js';
import { BRIDGE_DISABLED, mtuOf, prefixLengthOf, type Endpoint, type EndpointConfig, type Network, type NetworkPlan, type PublishedPort } from '../../domain/network.js';
import { HostLinks, type VethRequest } from '../../runtime/network/links.js';
import { PortInUseError } from '../../runtime/network/port-proxy.js';
import { inSubnet, nextAddress } from './ipam.js';
import { portRequests } from './port-bindings.js';
import type { NetworkServiceDeps } from './service.js';

/** A container's place on one network while it runs, for inspect, ps and the DNS. */
export interface EndpointView {
  network: Network;
  endpoint: Endpoint;
}

const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A random, locally administered unicast MAC, as docker 28 gives each endpoint. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export class ContainerEndpoints {
  constructor(
    private readonly deps: NetworkServiceDeps,
    private readonly rules: () => Promise<void>,
    /** Creates a network's bridge again when something removed it behind kapald's back. */
    private readonly ensureBridge: (n: Network) => Promise<void>,
  ) {}

  private find(ref: string): Network | undefined {
    return this.deps.store.byName(ref) ?? this.deps.store.get(ref) ?? this.uniquePrefix(ref);
  }

  private uniquePrefix(ref: string): Network | undefined {
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const m = this.deps.store.byIdPrefix(ref);
    return m.length === 1 ? m[0] : undefined;
  }

  // ---- create -------------------------------------------------------------------------------------

  /**
   * The container's network mode as stored (default → bridge) and the networks it joins, checked
   * as moby checks them; nothing is written.
   */
  plan(mode: string, endpointsConfig: Record<string, EndpointConfig> | null | undefined): { mode: string; joins: { network: Network; config: EndpointConfig }[] } {
    const normalized = mode === '' || mode === 'default' ? 'bridge' : mode;
    if (normalized.startsWith('container:')) throw invalidArgument(`network mode ${normalized} is not supported by kapal yet`);
    // As in moby, a network that does not exist (yet) is not an error at create: the start
    // looks it up again and fails if it is still missing. (A 404 here would make the docker CLI
    // try to pull the image.)
    const primary = this.find(normalized);
    const joins = new Map<string, { network: Network; config: EndpointConfig }>();
    if (primary) joins.set(primary.id, { network: primary, config: {} });
    for (const [key, config] of Object.entries(endpointsConfig ?? {})) {
      const n = key === 'default' ? primary : this.find(key);
      if (!n) continue;
      joins.set(n.id, { network: n, config: { ...(joins.get(n.id)?.config ?? {}), ...cleanConfig(config) } });
    }
    const list = [...joins.values()];
    if (primary && primary.driver !== 'bridge' && list.length > 1) {
      throw invalidArgument(primary.driver === 'null'
        ? 'container cannot be connected to multiple networks with one of the networks in private (none) mode'
        : 'container sharing network namespace with another container or host cannot be connected to any other network');
    }
    for (const j of list) checkEndpointConfig(j.network, j.config);
    return { mode: normalized, joins: list };
  }

  inTransaction<T>(fn: () => T): T {
    return this.deps.store.transaction(fn);
  }

  /** Inside the create transaction: the endpoint rows. */
  record(containerId: string, name: string, joins: { network: Network; config: EndpointConfig }[]): void {
    for (const j of joins) this.deps.store.addEndpoint(containerId, j.network.id, j.config, { container: name, network: j.network.name });
  }

  // ---- start and stop -----------------------------------------------------------------------------

  /**
   * Addresses and host ports for a starting container (undefined with the host's network). A port
   * that is taken fails the start here, before anything runs; `stopped()` undoes all of it.
   */
  async prepareStart(c: Container): Promise<NetworkPlan | undefined> {
    const { store, runtime } = this.deps;
    const mode = c.hostConfig.NetworkMode;
    if (mode === 'host') return undefined;
    let views = this.endpointViews(c.id);
    // No endpoint at all: its network did not exist at create (moby looks it up only now). One
    // disconnected from its network mode's network but on others starts on those.
    if (views.length === 0) {
      const n = this.find(mode);
      // dockerd with --bridge none: a container on the default network runs with loopback only.
      if (!n && mode === 'bridge' && this.deps.config.bridge === BRIDGE_DISABLED) return { interfaces: [], gateway: undefined, ...networkFiles(c, []), attach: async () => {} };
      if (!n) throw notFound(`failed to set up container networking: network ${mode} not found`);
      store.addEndpoint(c.id, n.id, {}, { container: c.name.slice(1), network: n.name });
      views = this.endpointViews(c.id);
    }
    const bridged = views.filter((v) => v.network.driver === 'bridge');
    for (const v of bridged) if (!HostLinks.exists(v.network.bridge!)) await this.ensureBridge(v.network);
    const veths: VethRequest[] = [];
    store.transaction(() => {
      bridged.forEach((v, i) => {
        const ip = this.addressFor(v.network, v.endpoint.config);
        const endpoint: Endpoint = { ...v.endpoint, endpointId: randomHex(32), ip, mac: v.endpoint.config.MacAddress || randomMac(), hostIf: `kv${randomHex(6)}`, containerIf: `eth${i}` };
        store.setRuntime(endpoint);
        v.endpoint = endpoint;
        veths.push({ hostIf: endpoint.hostIf!, bridge: v.network.bridge!, containerIf: endpoint.containerIf!, mac: endpoint.mac!, mtu: mtuOf(v.network, this.deps.config.mtu) });
      });
    });
    try {
      const outward = bridged.find((v) => !v.network.internal);
      const ports = outward ? await this.publish(c, outward) : [];
      return {
        interfaces: bridged.map((v) => ({ name: v.endpoint.containerIf!, address: v.endpoint.ip!, prefixLength: prefixLengthOf(v.network) })),
        gateway: outward?.network.gateway ?? undefined,
        ...networkFiles(c, bridged),
        attach: async (pid) => {
          await Promise.all([runtime.links.addVeths(pid, veths), ports.length > 0 ? this.rules() : undefined]);
        },
      };
    } catch (err) {
      await this.stopped(c.id);
      throw err;
    }
  }

  /** A static address (checked to be free) or the next free one of the network. */
  private addressFor(n: Network, config: EndpointConfig): string {
    const { store } = this.deps;
    const used = store.usedAddresses(n.id);
    const wanted = config.IPAMConfig?.IPv4Address;
    if (wanted) {
      if (used.has(wanted) || wanted === n.gateway) throw forbidden('failed to set up container networking: Address already in use');
      return wanted;
    }
    const subnet = parseSubnet(n.subnet!);
    const ip = nextAddress(subnet, n.ipRange ? parseSubnet(n.ipRange) : subnet, n.gateway, used, store.lastAddress(n.id));
    if (!ip) throw forbidden(`no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`);
    return ip;
  }

  /** Binds the container's host ports (docker-proxy's job) and records them; all or none. */
  private async publish(c: Container, on: EndpointView): Promise<PublishedPort[]> {
    const requests = portRequests(c.hostConfig.PortBindings as Parameters<typeof portRequests>[0], c.hostConfig.PublishAllPorts === true, c.config.ExposedPorts);
    if (requests.length === 0) return [];
    const ports: PublishedPort[] = [];
    const containerIp = on.endpoint.ip!;
    try {
      for (const r of requests) {
        let lastErr: unknown;
        for (const hostPort of r.hostPorts) {
          try {
            const [proxy] = await this.deps.runtime.openProxies(c.id, [{ proto: r.proto, hostIp: r.hostIp, hostPort, containerIp, containerPort: r.containerPort }]);
            ports.push({ containerId: c.id, proto: r.proto, containerPort: r.containerPort, hostIp: proxy!.hostIp, hostPort: proxy!.hostPort, containerIp, bridge: on.network.bridge! });
            lastErr = undefined;
            break;
          } catch (err) {
            lastErr = err;
            if (!(err instanceof PortInUseError)) break;
          }
        }
        if (lastErr) throw lastErr;
      }
    } catch (err) {
      await this.deps.runtime.closeProxies(c.id);
      const message = err instanceof Error ? err.message : String(err);
      throw new KapalError('Internal', `failed to set up container networking: driver failed programming external connectivity on endpoint ${c.name.slice(1)} (${on.endpoint.endpointId}): ${message}`);
    }
    this.deps.store.setPorts(c.id, ports);
    return ports;
  }

  /** The container is gone from its namespace (exited, failed to start): addresses and ports go back. */
  async stopped(containerId: string): Promise<void> {
    const { store, runtime } = this.deps;
    const hadPorts = store.portsOf(containerId).length > 0;
    store.transaction(() => {
      store.release(containerId);
      store.clearPorts(containerId);
    });
    await runtime.closeProxies(containerId);
    if (hadPorts) await this.rules();
  }

  /**
   * After kapald restarts: proxies again for the running containers' ports, addresses of the
   * containers that stopped meanwhile released.
   */
  async restore(): Promise<void> {
    const { store, containers, runtime, log } = this.deps;
    const running = (id: string) => {
      const c = containers.get(id);
      return c !== undefined && isRunning(c.state.status);
    };
    for (const e of store.allEndpoints()) if (e.ip && !running(e.containerId)) store.release(e.containerId, e.networkId);
    const byContainer = new Map<string, PublishedPort[]>();
    for (const p of store.allPorts()) byContainer.set(p.containerId, [...(byContainer.get(p.containerId) ?? []), p]);
    for (const [id, ports] of byContainer) {
      if (!running(id)) {
        store.clearPorts(id);
        continue;
      }
      await runtime.openProxies(id, ports.map((p) => ({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: p.containerIp, containerPort: p.containerPort }))).catch((err) =>
        log.warn({ err, container: id }, 'could not bind a published port again: connections from this host to it fail'),
      );
    }
    await this.rules();
  }

  // ---- connect and disconnect ---------------------------------------------------------------------

  async connect(c: Container, n: Network, requested: EndpointConfig): Promise<void> {
    const { store, runtime } = this.deps;
    const mode = c.hostConfig.NetworkMode;
    if (mode === 'host') throw invalidArgument('container sharing network namespace with another container or host cannot be connected to any other network');
    if (n.driver === 'host') throw invalidArgument('cannot connect container to host network - container must be created in host network mode');
    if (n.driver === 'null' || mode === 'none') throw invalidArgument('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    const config = cleanConfig(requested);
    checkEndpointConfig(n, config);
    const running = isRunning(c.state.status);
    // moby: connecting a stopped container twice changes nothing; a running one is refused.
    if (!running && store.endpointsOf(c.id).some((e) => e.networkId === n.id)) return;
    const endpoint = store.addEndpoint(c.id, n.id, config, { container: c.name.slice(1), network: n.name });
    if (!running) return;
    let live: Endpoint | undefined;
    try {
      const others = store.endpointsOf(c.id).filter((e) => e.ip && e.networkId !== n.id);
      const taken = new Set(others.map((e) => e.containerIf));
      let i = 0;
      while (taken.has(`eth${i}`)) i++;
      const ip = this.addressFor(n, config);
      live = { ...endpoint, endpointId: randomHex(32), ip, mac: config.MacAddress || randomMac(), hostIf: `kv${randomHex(6)}`, containerIf: `eth${i}` };
      store.setRuntime(live);
      await runtime.links.addVeths(c.state.pid, [{ hostIf: live.hostIf!, bridge: n.bridge!, containerIf: live.containerIf!, mac: live.mac!, mtu: mtuOf(n, this.deps.config.mtu) }]);
      const hasRoute = others.some((e) => !store.get(e.networkId)?.internal);
      await runtime.links.configureInside(c.state.pid, [{ name: live.containerIf!, address: ip, prefixLength: prefixLengthOf(n) }], !hasRoute && !n.internal ? n.gateway! : undefined);
    } catch (err) {
      if (live?.hostIf) await runtime.links.deleteLink(live.hostIf).catch(() => {});
      store.removeEndpoint(c.id, n.id);
      throw err;
    }
    this.refreshFiles(c);
  }

  /** /etc/hosts and /etc/resolv.conf of a running container, from the endpoints it has now. */
  private refreshFiles(c: Container): void {
    const live = this.endpointViews(c.id).filter((v) => v.network.driver === 'bridge' && v.endpoint.ip);
    const files = networkFiles(c, live);
    this.deps.updateFiles(c, files.hostsEntries, files.nameservers);
  }

  async disconnect(c: Container, n: Network): Promise<void> {
    const { store, runtime } = this.deps;
    const endpoint = store.endpointsOf(c.id).find((e) => e.networkId === n.id);
    if (n.driver === 'host' && c.hostConfig.NetworkMode === 'host') throw invalidArgument('cannot disconnect container from host network - container was created in host network mode');
    if (!endpoint) throw new KapalError('Internal', `container ${c.id} is not connected to network ${n.name}`);
    const running = isRunning(c.state.status) && endpoint.ip !== null;
    const routedBy = running ? this.endpointViews(c.id).find((v) => v.network.driver === 'bridge' && v.endpoint.ip && !v.network.internal) : undefined;
    if (running && endpoint.hostIf) await runtime.links.deleteLink(endpoint.hostIf);
    store.removeEndpoint(c.id, n.id);
    if (!running) return;
    // The default route went with the interface: the next network with a way out takes it over.
    const next = routedBy?.network.id === n.id ? this.endpointViews(c.id).find((v) => v.network.driver === 'bridge' && v.endpoint.ip && !v.network.internal) : undefined;
    if (next) await runtime.links.configureInside(c.state.pid, [], next.network.gateway!);
    this.refreshFiles(c);
  }

  // ---- reading ------------------------------------------------------------------------------------

  /** The container's endpoints with their networks, in connection order. */
  endpointViews(containerId: string): EndpointView[] {
    const out: EndpointView[] = [];
    for (const endpoint of this.deps.store.endpointsOf(containerId)) {
      const network = this.deps.store.get(endpoint.networkId);
      if (network) out.push({ network, endpoint });
    }
    return out;
  }

  publishedPorts(containerId: string): PublishedPort[] {
    return this.deps.store.portsOf(containerId);
  }

  /** Every container's endpoints and ports at once (docker ps over many containers). */
  snapshot(): { views(containerId: string): EndpointView[]; ports(containerId: string): PublishedPort[] } {
    const networks = new Map(this.deps.store.list().map((n) => [n.id, n]));
    const endpoints = new Map<string, EndpointView[]>();
    for (const e of this.deps.store.allEndpoints()) {
      const network = networks.get(e.networkId);
      if (network) endpoints.set(e.containerId, [...(endpoints.get(e.containerId) ?? []), { network, endpoint: e }]);
    }
    const ports = new Map<string, PublishedPort[]>();
    for (const p of this.deps.store.allPorts()) ports.set(p.containerId, [...(ports.get(p.containerId) ?? []), p]);
    return { views: (id) => endpoints.get(id) ?? [], ports: (id) => ports.get(id) ?? [] };
  }

  /** The names a container answers to on a network: its name, short ID and aliases (docker's DNSNames). */
  dnsNames(c: Container, e: Endpoint, n: Network): string[] {
    return dnsNamesOf(c, e, n) ?? [];
  }

  /**
   * Addresses of the running containers answering to `name` on the networks of the asking
   * container (`client`, its address on `networkId`): this network first, as docker's resolver
   * answers for every network a container is on.
   */
  resolveName(networkId: string, name: string, client: string): string[] | undefined {
    const { store } = this.deps;
    const asking = store.endpointsOn(networkId).find((e) => e.ip === client);
    const networks = [networkId, ...(asking ? store.endpointsOf(asking.containerId).map((e) => e.networkId).filter((id) => id !== networkId) : [])];
    for (const id of networks) {
      const ips = this.namesOn(id, name);
      if (ips) return ips;
    }
    return undefined;
  }

  private namesOn(networkId: string, name: string): string[] | undefined {
    const n = this.deps.store.get(networkId);
    if (!n) return undefined;
    const ips: string[] = [];
    for (const e of this.deps.store.endpointsOn(networkId)) {
      if (!e.ip) continue;
      const c = this.deps.containers.get(e.containerId);
      if (c && this.dnsNames(c, e, n).some((x) => x.toLowerCase() === name)) ips.push(e.ip);
    }
    return ips.length > 0 ? ips : undefined;
  }

  /** docker's answer to a reverse lookup: `name.network`. */
  reverseName(networkId: string, ip: string): string | undefined {
    const e = this.deps.store.endpointsOn(networkId).find((x) => x.ip === ip);
    const c = e && this.deps.containers.get(e.containerId);
    const n = this.deps.store.get(networkId);
    return c && n ? `${c.name.slice(1)}.${n.name}` : undefined;
  }
}

/** /etc/hosts lines for the container's addresses; the embedded DNS of its first user-defined network. */
function networkFiles(c: Container, live: EndpointView[]): { hostsEntries: { ip: string; names: string[] }[]; nameservers: string[] | undefined } {
  const user = live.find((v) => !v.network.predefined);
  return {
    hostsEntries: live.map((v) => ({ ip: v.endpoint.ip!, names: [c.config.Hostname] })),
    nameservers: user ? [user.network.gateway!] : undefined,
  };
}

/** docker's DNSNames: name, aliases, short ID (user-defined networks only). */
export function dnsNamesOf(c: Container, e: Endpoint, n: Network): string[] | null {
  if (n.predefined || n.driver !== 'bridge') return null;
  return [...new Set([c.name.slice(1), ...(e.config.Aliases ?? []), c.id.slice(0, 12)])];
}

/** The fields kapal acts on, without the empty values clients send for everything. */
function cleanConfig(config: EndpointConfig): EndpointConfig {
  const out: EndpointConfig = {};
  if (config.Aliases && config.Aliases.length > 0) out.Aliases = [...config.Aliases];
  const ip = config.IPAMConfig?.IPv4Address;
  if (ip) out.IPAMConfig = { IPv4Address: ip };
  if (config.IPAMConfig?.IPv6Address) throw invalidArgument('IPv6 addresses are not supported by kapal yet');
  if (config.MacAddress) out.MacAddress = config.MacAddress;
  return out;
}

/** moby's checks of what a client asks for on one network. */
function checkEndpointConfig(n: Network, config: EndpointConfig): void {
  const ip = config.IPAMConfig?.IPv4Address;
  if (n.driver !== 'bridge' && (ip || config.Aliases)) throw invalidArgument(`network-scoped aliases and addresses are not supported in network mode ${n.name}`);
  if (n.predefined && ip) throw invalidArgument(`invalid config for network ${n.name}: invalid endpoint settings:\nuser specified IP address is supported on user defined networks only`);
  if (n.predefined && config.Aliases) throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
  if (ip) {
    ipToNumber(ip);
    if (!inSubnet(n.subnet!, ip)) throw invalidArgument(`invalid config for network ${n.name}: invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${ip}`);
  }
  if (config.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(config.MacAddress)) throw invalidArgument(`invalid MAC address: ${config.MacAddress}`);
}

