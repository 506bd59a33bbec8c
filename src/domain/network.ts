// Networks as kapal knows them (docker's model): the predefined bridge, host and none, and
// user-defined bridge networks; a container's endpoint on each network it is connected to; the
// host ports a running container publishes.

export type NetworkDriver = 'bridge' | 'host' | 'null';

/** `--bridge none`, as dockerd: no default bridge network; containers left on it get only loopback. */
export const BRIDGE_DISABLED = 'none';

export interface Network {
  id: string;
  name: string;
  driver: NetworkDriver;
  /** The bridge device; null for host and none. */
  bridge: string | null;
  subnet: string | null;
  gateway: string | null;
  /** Where dynamic addresses come from; null: the whole subnet. */
  ipRange: string | null;
  internal: boolean;
  attachable: boolean;
  /** bridge, host and none: they exist in every kapald and are never removed. */
  predefined: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  createdAt: string;
}

/** docker's EndpointSettings as a client asks for them (create's EndpointsConfig, connect). */
export interface EndpointConfig {
  Aliases?: string[] | null;
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] | null } | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  GwPriority?: number;
  Links?: string[] | null;
}

/** A container on a network: how it asked to be connected, and, while it runs, its interface. */
export interface Endpoint {
  containerId: string;
  networkId: string;
  /** Connection order; the first non-internal network gives the default route. */
  position: number;
  config: EndpointConfig;
  endpointId: string | null;
  ip: string | null;
  mac: string | null;
  hostIf: string | null;
  containerIf: string | null;
}

export type PortProto = 'tcp' | 'udp';

/** A host port a running container publishes, as it was bound (the real port when 0 was asked). */
export interface PublishedPort {
  containerId: string;
  proto: PortProto;
  containerPort: number;
  hostIp: string;
  hostPort: number;
  containerIp: string;
  bridge: string;
}

/** Driver options kapal reads (docker's names). */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
export const MTU_OPTION = 'com.docker.network.driver.mtu';

/** The network's MTU option, or `fallback` (kapald's --mtu). */
export function mtuOf(n: Network, fallback: number): number {
  const v = Number(n.options[MTU_OPTION]);
  return Number.isInteger(v) && v >= 68 ? v : fallback;
}

/** The prefix length of the network's subnet (0 without one). */
export function prefixLengthOf(n: Network): number {
  return n.subnet ? Number(n.subnet.split('/')[1]) : 0;
}

/** Network names docker accepts (moby's restrictedNamePattern). */
export const VALID_NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** What a starting container gets from its networks: the shim's interfaces, /etc files, and the veths. */
export interface NetworkPlan {
  interfaces: { name: string; address: string; prefixLength: number }[];
  gateway?: string | undefined;
  /** Lines for /etc/hosts after localhost: the container's own addresses and names. */
  hostsEntries: { ip: string; names: string[] }[];
  /** Name servers for /etc/resolv.conf instead of the host's (the embedded DNS on user networks). */
  nameservers?: string[] | undefined;
  /** Creates the veths into the waiting child's netns and installs its port rules. */
  attach(pid: number): Promise<void>;
}
