// The leak checker: what kapald's database says must exist, compared with what exists on the
// machine. Every shim, mount, cgroup, bridge, veth, nftables rule and directory kapald makes
// belongs to a row; whatever has no row is a leak, and whatever a row needs but is missing is
// lost. Run it while kapald is idle or stopped: an operation in flight is seen half-done.
//
// A stopped kapald is allowed one kind of difference, which its next start settles: a container
// the database calls running whose process has exited (its shim wrote the exit file, or its
// cgroup is still there). While kapald runs, it would have recorded that exit, so it is a finding.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isRunning } from '../domain/container-lifecycle.js';
import { ContentStore } from '../images/content-store.js';
import { LayerStore } from '../images/layer-store.js';
import { ContainerLayout } from '../runtime/container-layout.js';
import { readExitFile } from '../runtime/shim/connection.js';
import { ContainerStore } from '../store/container-store.js';
import { openDatabaseReadOnly } from '../store/database.js';
import { ImageStore } from '../store/image-store.js';
import { NetworkStore } from '../store/network-store.js';
import { VolumeStore } from '../store/volume-store.js';
import { containerCgroups, daemonAlive, links, mountsBelow, nftTable, shimProcesses } from './machine.js';

export interface LeakCheckConfig {
  dataRoot: string;
  execRoot: string;
  cgroupParent: string | undefined;
  bridge: string;
  nftTable: string;
}

export interface Finding {
  /** What kind of thing: shim, mount, cgroup, bridge, veth, nft, directory, container, volume, image. */
  kind: string;
  /** The thing itself: a path, a PID, an interface, a rule. */
  what: string;
  why: string;
}

export interface LeakReport {
  daemonPid: number | undefined;
  findings: Finding[];
  /** Containers whose exit a stopped kapald records at its next start. */
  pending: string[];
  counts: { containers: number; running: number; networks: number; volumes: number; images: number };
}

const short = (id: string) => id.slice(0, 12);

export function checkLeaks(config: LeakCheckConfig): LeakReport {
  const daemonPid = daemonAlive(path.join(config.dataRoot, 'kapald.lock'));
  const db = openDatabaseReadOnly(path.join(config.dataRoot, 'kapal.db'));
  try {
    return compare(config, daemonPid, {
      containers: new ContainerStore(db),
      networks: new NetworkStore(db),
      volumes: new VolumeStore(db),
      images: new ImageStore(db),
    });
  } finally {
    db.close();
  }
}

interface Stores {
  containers: ContainerStore;
  networks: NetworkStore;
  volumes: VolumeStore;
  images: ImageStore;
}

function compare(config: LeakCheckConfig, daemonPid: number | undefined, stores: Stores): LeakReport {
  const findings: Finding[] = [];
  const find = (kind: string, what: string, why: string) => findings.push({ kind, what, why });
  const layout = new ContainerLayout(config.dataRoot, config.execRoot);
  const containers = stores.containers.list();
  const byId = new Map(containers.map((c) => [c.id, c]));

  // Containers and their shims. A running container has one `run` shim; execs only run in one.
  const shims = shimProcesses(config.execRoot);
  const runShims = new Map<string, number>();
  for (const s of shims) {
    const [id = '', ...rest] = path.relative(layout.statesDir, s.stateDir).split('/');
    const c = byId.get(id);
    if (s.mode === 'run' && rest.length === 0) runShims.set(id, s.pid);
    else if (s.mode === 'run' && rest[0] === 'cp') continue; // a copy from a stopped container, while it lasts
    if (!c) find('shim', `pid ${s.pid}`, `serves ${s.stateDir}, a container the database does not know`);
    else if (!isRunning(c.state.status)) find('shim', `pid ${s.pid}`, `serves container ${short(id)}, which is ${c.state.status}`);
  }
  const pending: string[] = [];
  const live = new Set<string>(); // containers whose resources must be there
  for (const c of containers) {
    if (c.state.status !== 'running' && c.state.status !== 'paused') continue;
    if (runShims.has(c.id)) {
      live.add(c.id);
      continue;
    }
    if (daemonPid === undefined) pending.push(c.id);
    else find('container', short(c.id), `is ${c.state.status} in the database but has no shim${readExitFile(layout.stateDir(c.id)) ? ' (it exited; the exit was not recorded)' : ''}`);
  }
  const tolerated = new Set(pending);

  // Directories: DATA-ROOT/containers/<id> for every container, EXEC-ROOT/containers/<id> only
  // while it runs.
  const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  for (const name of entries(layout.containersDir)) {
    if (!byId.has(name)) find('directory', path.join(layout.containersDir, name), 'belongs to no container');
  }
  for (const c of containers) {
    if (!existsSync(layout.dataDir(c.id))) find('container', short(c.id), `has no directory ${layout.dataDir(c.id)}: its file system changes and log are lost`);
  }
  for (const name of entries(layout.statesDir)) {
    if (!live.has(name) && !tolerated.has(name)) find('directory', path.join(layout.statesDir, name), byId.has(name) ? `state of container ${short(name)}, which is ${byId.get(name)!.state.status}` : 'belongs to no container');
  }

  // Cgroups: one directory per hierarchy for each running container.
  for (const cg of containerCgroups(config.cgroupParent, daemonPid)) {
    if (!live.has(cg.id) && !tolerated.has(cg.id)) find('cgroup', cg.dir, byId.has(cg.id) ? `of container ${short(cg.id)}, which is ${byId.get(cg.id)!.state.status}` : 'belongs to no container');
  }

  // Mounts on the host: only the file systems of local volumes with options, while a running
  // container uses them (containers' own mounts live in their mount namespaces).
  const volumesRoot = path.join(config.dataRoot, 'volumes');
  const volumes = stores.volumes.list();
  const mountedVolumes = new Map<string, string>();
  for (const v of volumes) {
    if (v.options['type'] === undefined && v.options['device'] === undefined) continue;
    const users = stores.volumes.runningUsersOf(v.name).filter((id) => live.has(id) || tolerated.has(id));
    if (users.length > 0) mountedVolumes.set(path.join(volumesRoot, v.name, '_data'), v.name);
  }
  const mounts = mountsBelow([config.dataRoot, config.execRoot]).filter((m) => m !== config.dataRoot && m !== config.execRoot);
  for (const m of mounts) if (!mountedVolumes.has(m)) find('mount', m, 'no running container needs it');
  for (const [dir, name] of mountedVolumes) if (!mounts.includes(dir)) find('volume', name, `is used by a running container but ${dir} is not mounted`);

  // Volume directories: one per volume.
  const volumeNames = new Set(volumes.map((v) => v.name));
  for (const name of entries(volumesRoot)) if (!volumeNames.has(name)) find('directory', path.join(volumesRoot, name), 'belongs to no volume');
  // A volume a create made gets its directory at the first start.
  for (const v of volumes) {
    const running = stores.volumes.runningUsersOf(v.name).some((id) => live.has(id));
    if (running && !existsSync(path.join(volumesRoot, v.name, '_data'))) find('volume', v.name, 'is used by a running container but has no _data directory');
  }

  // Networks: a bridge per bridge network; bridge ports are the veths of running containers.
  const networks = stores.networks.list().filter((n) => n.driver === 'bridge' && n.bridge);
  const bridges = new Set(networks.map((n) => n.bridge!));
  const endpoints = stores.networks.allEndpoints();
  const veths = new Map(endpoints.filter((e) => e.hostIf).map((e) => [e.hostIf!, e]));
  const present = links();
  const alias = `kapal ${config.nftTable}`;
  for (const l of present) {
    if (l.bridge && l.alias === alias && !bridges.has(l.name)) find('bridge', l.name, 'belongs to no network');
    if (l.master && bridges.has(l.master)) {
      const e = veths.get(l.name);
      if (!e) find('veth', l.name, `is on bridge ${l.master} but belongs to no container`);
      else if (!live.has(e.containerId) && !tolerated.has(e.containerId)) find('veth', l.name, `belongs to container ${short(e.containerId)}, which is not running`);
    }
  }
  const names = new Set(present.map((l) => l.name));
  for (const e of veths.values()) {
    if (live.has(e.containerId) && !names.has(e.hostIf!)) find('veth', e.hostIf!, `of running container ${short(e.containerId)} is missing`);
    if (!live.has(e.containerId) && !tolerated.has(e.containerId)) find('container', short(e.containerId), `is not running but still holds address ${e.ip ?? '-'} and veth ${e.hostIf} in the database`);
  }
  for (const n of networks) {
    const used = endpoints.some((e) => e.networkId === n.id && live.has(e.containerId));
    if (used && !names.has(n.bridge!)) find('bridge', n.bridge!, `of network ${n.name} is missing while containers use it`);
  }

  // nftables: masquerading for each network with a way out, a DNAT rule per published port.
  const ports = stores.networks.allPorts();
  const table = nftTable(config.nftTable);
  if (!table) {
    if (ports.length > 0 || networks.length > 0) find('nft', `table inet ${config.nftTable}`, 'is missing');
  } else {
    const want = new Set(networks.filter((n) => !n.internal && n.subnet).map((n) => n.subnet!));
    for (const s of table.masquerade) if (!want.has(s)) find('nft', `masquerade ${s}`, 'belongs to no network');
    for (const s of want) if (!table.masquerade.includes(s)) find('nft', `masquerade ${s}`, 'is missing');
    const key = (p: { proto: string; hostIp: string; hostPort: number; containerIp: string; containerPort: number }) =>
      `${p.proto} ${p.hostIp === '0.0.0.0' ? '' : p.hostIp}:${p.hostPort} -> ${p.containerIp}:${p.containerPort}`;
    // Loopback-bound ports are the userland proxy's alone: they have no rule.
    const wanted = new Set(ports.filter((p) => !p.hostIp.startsWith('127.')).map(key));
    const rules = table.ports.map(key);
    for (const r of rules) if (!wanted.has(r)) find('nft', `dnat ${r}`, 'belongs to no published port');
    for (const r of wanted) if (!rules.includes(r)) find('nft', `dnat ${r}`, 'is missing');
    for (const p of ports) if (!live.has(p.containerId) && !tolerated.has(p.containerId)) find('nft', `dnat ${key(p)}`, `is published by container ${short(p.containerId)}, which is not running`);
  }

  // Images: a directory per layer row, a blob per reference, nothing left in the staging area.
  const imagesRoot = path.join(config.dataRoot, 'images');
  const layerIds = stores.images.layerIds();
  const layers = new LayerStore(imagesRoot);
  for (const chainId of layers.list()) if (!layerIds.has(chainId)) find('directory', layers.path(chainId), 'belongs to no layer');
  for (const chainId of layerIds) if (!layers.has(chainId)) find('image', chainId, 'layer has no directory');
  const content = new ContentStore(imagesRoot);
  const blobs = new Set(content.list());
  const referenced = stores.images.referencedBlobs();
  for (const digest of blobs) if (!referenced.has(digest)) find('blob', content.path(digest), 'no image references it');
  for (const digest of referenced) if (!blobs.has(digest)) find('image', digest, 'blob is missing');
  for (const name of entries(path.join(imagesRoot, 'tmp'))) find('directory', path.join(imagesRoot, 'tmp', name), 'staging left by an interrupted write');

  return {
    daemonPid,
    findings,
    pending,
    counts: {
      containers: containers.length,
      running: live.size + pending.length,
      networks: stores.networks.list().length,
      volumes: volumes.length,
      images: stores.images.count(),
    },
  };
}
