// Networks and a container's network settings in the shapes of Docker's API: Network (network
// ls and inspect), EndpointSettings, NetworkSettings (container inspect) and the Ports of docker ps.

import type { Container } from '../../domain/container.js';
import { isRunning } from '../../domain/container-lifecycle.js';
import { prefixLengthOf, type Network, type PublishedPort } from '../../domain/network.js';
import { dnsNamesOf, type EndpointView } from '../../service/networks/endpoints.js';

export function networkJson(n: Network, containers?: { container: Container; view: EndpointView }[]) {
  return {
    Name: n.name,
    Id: n.id,
    Created: n.createdAt,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: n.predefined ? null : {},
      Config: n.subnet ? [{ Subnet: n.subnet, ...(n.ipRange ? { IPRange: n.ipRange } : {}), Gateway: n.gateway }] : null,
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      (containers ?? []).map(({ container: c, view: { endpoint: e } }) => [
        c.id,
        { Name: c.name.slice(1), EndpointID: e.endpointId ?? '', MacAddress: e.mac ?? '', IPv4Address: e.ip ? `${e.ip}/${prefixLengthOf(n)}` : '', IPv6Address: '' },
      ]),
    ),
    Options: n.options,
    Labels: n.labels,
  };
}

/** EndpointSettings; addresses only while the container runs, as in docker. */
export function endpointSettings(c: Container, { network: n, endpoint: e }: EndpointView) {
  const live = isRunning(c.state.status) && e.ip !== null;
  const dnsNames = dnsNamesOf(c, e, n);
  return {
    IPAMConfig: e.config.IPAMConfig ?? null,
    Links: null,
    Aliases: e.config.Aliases ?? null,
    MacAddress: live ? e.mac! : (e.config.MacAddress ?? ''),
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: n.id,
    EndpointID: live ? e.endpointId! : '',
    Gateway: live && n.gateway ? n.gateway : '',
    IPAddress: live ? e.ip! : '',
    IPPrefixLen: live ? prefixLengthOf(n) : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: dnsNames,
  };
}

export function networksMap(c: Container, views: EndpointView[]) {
  return Object.fromEntries(views.map((v) => [v.network.name, endpointSettings(c, v)]));
}

/** NetworkSettings.Ports: every exposed port, with its host bindings while it runs (null when not published). */
export function portMap(c: Container, ports: PublishedPort[]): Record<string, { HostIp: string; HostPort: string }[] | null> {
  if (!isRunning(c.state.status)) return {};
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of Object.keys(c.config.ExposedPorts ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const p of ports) {
    const key = `${p.containerPort}/${p.proto}`;
    out[key] = [...(out[key] ?? []), { HostIp: p.hostIp, HostPort: String(p.hostPort) }];
  }
  return out;
}

/** docker ps's Ports: published ones with their host side, exposed ones without. */
export function summaryPorts(c: Container, ports: PublishedPort[]) {
  const out: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = ports.map((p) => ({ IP: p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto }));
  for (const key of Object.keys(c.config.ExposedPorts ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!ports.some((p) => String(p.containerPort) === port && p.proto === proto)) out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}

export function networkSettings(c: Container, views: EndpointView[], ports: PublishedPort[]) {
  const running = isRunning(c.state.status);
  const primary = views.find((v) => v.network.name === 'bridge' && v.network.predefined);
  const p = primary ? endpointSettings(c, primary) : undefined;
  return {
    Bridge: '',
    SandboxID: running && c.hostConfig.NetworkMode !== 'host' ? c.id : '',
    SandboxKey: running && c.hostConfig.NetworkMode !== 'host' && c.state.pid ? `/proc/${c.state.pid}/ns/net` : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portMap(c, ports),
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: p?.EndpointID ?? '',
    Gateway: p?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: p?.IPAddress ?? '',
    IPPrefixLen: p?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: p?.MacAddress ?? '',
    Networks: networksMap(c, views),
  };
}
