// Networks, endpoints and published ports in SQLite. The UNIQUE (network_id, ip) constraint is the
// last word on addresses: a second claim of one becomes docker's "Address already in use".

import type { Endpoint, EndpointConfig, Network, NetworkDriver, PortProto, PublishedPort } from '../domain/network.js';
import { conflict, KapalError, notFound } from '../domain/errors.js';
import type { Db } from './database.js';

interface NetworkRow {
  id: string;
  name: string;
  driver: NetworkDriver;
  bridge: string | null;
  subnet: string | null;
  gateway: string | null;
  ip_range: string | null;
  internal: number;
  attachable: number;
  predefined: number;
  labels: string;
  options: string;
  created_at: string;
  last_ip: string | null;
}

interface EndpointRow {
  container_id: string;
  network_id: string;
  position: number;
  config: string;
  endpoint_id: string | null;
  ip: string | null;
  mac: string | null;
  host_if: string | null;
  container_if: string | null;
}

interface PortRow {
  container_id: string;
  proto: PortProto;
  container_port: number;
  host_ip: string;
  host_port: number;
  container_ip: string;
  bridge: string;
}

const networkFromRow = (r: NetworkRow): Network => ({
  id: r.id,
  name: r.name,
  driver: r.driver,
  bridge: r.bridge,
  subnet: r.subnet,
  gateway: r.gateway,
  ipRange: r.ip_range,
  internal: r.internal === 1,
  attachable: r.attachable === 1,
  predefined: r.predefined === 1,
  labels: JSON.parse(r.labels),
  options: JSON.parse(r.options),
  createdAt: r.created_at,
});

const endpointFromRow = (r: EndpointRow): Endpoint => ({
  containerId: r.container_id,
  networkId: r.network_id,
  position: r.position,
  config: JSON.parse(r.config) as EndpointConfig,
  endpointId: r.endpoint_id,
  ip: r.ip,
  mac: r.mac,
  hostIf: r.host_if,
  containerIf: r.container_if,
});

const portFromRow = (r: PortRow): PublishedPort => ({
  containerId: r.container_id,
  proto: r.proto,
  containerPort: r.container_port,
  hostIp: r.host_ip,
  hostPort: r.host_port,
  containerIp: r.container_ip,
  bridge: r.bridge,
});

const constraint = (err: unknown, code: string): boolean => typeof err === 'object' && err !== null && (err as { code?: string }).code === code;

export class NetworkStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      byId: db.prepare<[string], NetworkRow>('SELECT * FROM networks WHERE id = ?'),
      byName: db.prepare<[string], NetworkRow>('SELECT * FROM networks WHERE name = ?'),
      byPrefix: db.prepare<[string], NetworkRow>("SELECT * FROM networks WHERE id LIKE ? ESCAPE '\\' LIMIT 2"),
      all: db.prepare<[], NetworkRow>('SELECT * FROM networks ORDER BY created_at, rowid'),
      insert: db.prepare(
        `INSERT INTO networks (id, name, driver, bridge, subnet, gateway, ip_range, internal, attachable, predefined, labels, options, created_at)
         VALUES (@id, @name, @driver, @bridge, @subnet, @gateway, @ipRange, @internal, @attachable, @predefined, @labels, @options, @createdAt)`,
      ),
      setAddressing: db.prepare<[string | null, string | null, string | null, string]>('UPDATE networks SET bridge = ?, subnet = ?, gateway = ? WHERE id = ?'),
      lastIp: db.prepare<[string], { last_ip: string | null }>('SELECT last_ip FROM networks WHERE id = ?'),
      setLastIp: db.prepare<[string, string]>('UPDATE networks SET last_ip = ? WHERE id = ?'),
      remove: db.prepare<[string]>('DELETE FROM networks WHERE id = ?'),
      endpointsOf: db.prepare<[string], EndpointRow>('SELECT * FROM endpoints WHERE container_id = ? ORDER BY position'),
      endpointsOn: db.prepare<[string], EndpointRow>('SELECT * FROM endpoints WHERE network_id = ? ORDER BY position'),
      allEndpoints: db.prepare<[], EndpointRow>('SELECT * FROM endpoints ORDER BY container_id, position'),
      nextPosition: db.prepare<[string], { p: number }>('SELECT coalesce(max(position) + 1, 0) AS p FROM endpoints WHERE container_id = ?'),
      addEndpoint: db.prepare(
        'INSERT INTO endpoints (container_id, network_id, position, config) VALUES (@containerId, @networkId, @position, @config)',
      ),
      removeEndpoint: db.prepare<[string, string]>('DELETE FROM endpoints WHERE container_id = ? AND network_id = ?'),
      removeEndpointsOn: db.prepare<[string]>('DELETE FROM endpoints WHERE network_id = ?'),
      usedIps: db.prepare<[string], { ip: string }>('SELECT ip FROM endpoints WHERE network_id = ? AND ip IS NOT NULL'),
      setRuntime: db.prepare(
        `UPDATE endpoints SET endpoint_id = @endpointId, ip = @ip, mac = @mac, host_if = @hostIf, container_if = @containerIf
         WHERE container_id = @containerId AND network_id = @networkId`,
      ),
      release: db.prepare<[string]>(
        'UPDATE endpoints SET endpoint_id = NULL, ip = NULL, mac = NULL, host_if = NULL, container_if = NULL WHERE container_id = ?',
      ),
      releaseOne: db.prepare<[string, string]>(
        'UPDATE endpoints SET endpoint_id = NULL, ip = NULL, mac = NULL, host_if = NULL, container_if = NULL WHERE container_id = ? AND network_id = ?',
      ),
      portsOf: db.prepare<[string], PortRow>('SELECT * FROM published_ports WHERE container_id = ? ORDER BY container_port, proto'),
      allPorts: db.prepare<[], PortRow>('SELECT * FROM published_ports ORDER BY container_id, container_port'),
      addPort: db.prepare(
        `INSERT INTO published_ports (container_id, proto, container_port, host_ip, host_port, container_ip, bridge)
         VALUES (@containerId, @proto, @containerPort, @hostIp, @hostPort, @containerIp, @bridge)`,
      ),
      clearPorts: db.prepare<[string]>('DELETE FROM published_ports WHERE container_id = ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- networks ---------------------------------------------------------------------------------

  get(id: string): Network | undefined {
    const row = this.q.byId.get(id);
    return row && networkFromRow(row);
  }

  byName(name: string): Network | undefined {
    const row = this.q.byName.get(name);
    return row && networkFromRow(row);
  }

  /** Networks whose ID starts with `prefix` (at most two: enough to tell unique from ambiguous). */
  byIdPrefix(prefix: string): Network[] {
    return this.q.byPrefix.all(`${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`).map(networkFromRow);
  }

  list(): Network[] {
    return this.q.all.all().map(networkFromRow);
  }

  insert(n: Network): void {
    try {
      this.q.insert.run({
        ...n,
        internal: n.internal ? 1 : 0,
        attachable: n.attachable ? 1 : 0,
        predefined: n.predefined ? 1 : 0,
        labels: JSON.stringify(n.labels),
        options: JSON.stringify(n.options),
      });
    } catch (err) {
      if (constraint(err, 'SQLITE_CONSTRAINT_UNIQUE')) throw conflict(`network with name ${n.name} already exists`);
      throw err;
    }
  }

  /** The predefined bridge follows kapald's --bridge and --bip. */
  setAddressing(id: string, bridge: string | null, subnet: string | null, gateway: string | null): void {
    this.q.setAddressing.run(bridge, subnet, gateway, id);
  }

  /** Removes the network and the endpoints (of stopped containers) still pointing at it. */
  remove(id: string): void {
    this.transaction(() => {
      this.q.removeEndpointsOn.run(id);
      this.q.remove.run(id);
    });
  }

  // ---- endpoints --------------------------------------------------------------------------------

  endpointsOf(containerId: string): Endpoint[] {
    return this.q.endpointsOf.all(containerId).map(endpointFromRow);
  }

  endpointsOn(networkId: string): Endpoint[] {
    return this.q.endpointsOn.all(networkId).map(endpointFromRow);
  }

  allEndpoints(): Endpoint[] {
    return this.q.allEndpoints.all().map(endpointFromRow);
  }

  /** Connects a container (after the ones it has); refuses a second endpoint on one network. */
  addEndpoint(containerId: string, networkId: string, config: EndpointConfig, what: { container: string; network: string }): Endpoint {
    const position = this.q.nextPosition.get(containerId)!.p;
    try {
      this.q.addEndpoint.run({ containerId, networkId, position, config: JSON.stringify(config) });
    } catch (err) {
      if (constraint(err, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new KapalError('Forbidden', `endpoint with name ${what.container} already exists in network ${what.network}`);
      }
      if (constraint(err, 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw notFound(`No such container: ${containerId}`);
      throw err;
    }
    return { containerId, networkId, position, config, endpointId: null, ip: null, mac: null, hostIf: null, containerIf: null };
  }

  removeEndpoint(containerId: string, networkId: string): void {
    this.q.removeEndpoint.run(containerId, networkId);
  }

  usedAddresses(networkId: string): Set<string> {
    return new Set(this.q.usedIps.all(networkId).map((r) => r.ip));
  }

  lastAddress(networkId: string): string | null {
    return this.q.lastIp.get(networkId)?.last_ip ?? null;
  }

  /** Records the running endpoint; its address is taken for good until release. */
  setRuntime(e: Endpoint): void {
    try {
      this.q.setRuntime.run({ ...e });
      if (e.ip) this.q.setLastIp.run(e.ip, e.networkId);
    } catch (err) {
      if (constraint(err, 'SQLITE_CONSTRAINT_UNIQUE')) throw new KapalError('Forbidden', `Address already in use: ${e.ip}`);
      throw err;
    }
  }

  /** The container stopped: its addresses go back to the networks. */
  release(containerId: string, networkId?: string): void {
    if (networkId) this.q.releaseOne.run(containerId, networkId);
    else this.q.release.run(containerId);
  }

  // ---- published ports --------------------------------------------------------------------------

  portsOf(containerId: string): PublishedPort[] {
    return this.q.portsOf.all(containerId).map(portFromRow);
  }

  allPorts(): PublishedPort[] {
    return this.q.allPorts.all().map(portFromRow);
  }

  setPorts(containerId: string, ports: PublishedPort[]): void {
    this.transaction(() => {
      this.q.clearPorts.run(containerId);
      for (const p of ports) this.q.addPort.run({ ...p });
    });
  }

  clearPorts(containerId: string): void {
    this.q.clearPorts.run(containerId);
  }
}
