// The composition root: config → state dirs and locks → database → stores → services → API →
// listeners. close() undoes it in reverse. Nothing else in kapald wires modules together.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { buildApi, type BuiltApi } from '../api/app.js';
import { readHostFacts } from '../runtime/host-facts.js';
import type { Services } from '../api/routes/index.js';
import { ContentStore } from '../images/content-store.js';
import { LayerStore } from '../images/layer-store.js';
import { RegistryClient } from '../images/registry/client.js';
import { ImageService } from '../service/image-service.js';
import { OperationSlots } from '../service/operation-slots.js';
import { RegistryService } from '../service/registry-service.js';
import { SystemService } from '../service/system-service.js';
import { ContainerService } from '../service/containers/service.js';
import { ContainerStore } from '../store/container-store.js';
import { ContainerRuntime } from '../runtime/container-runtime.js';
import { ContainerLayout } from '../runtime/container-layout.js';
import { hostCgroups } from '../runtime/cgroups/driver.js';
import { isRunning } from '../domain/container-lifecycle.js';
import { resolveUsernsRemap } from '../runtime/userns.js';
import { ImageStore } from '../store/image-store.js';
import { openDatabase, type Db } from '../store/database.js';
import { EngineStore } from '../store/engine-store.js';
import { EventStore } from '../store/event-store.js';
import { EventService } from '../service/events.js';
import { ExecService } from '../service/exec/service.js';
import { NetworkService } from '../service/networks/service.js';
import { VolumeService } from '../service/volumes/service.js';
import { VolumeStore } from '../store/volume-store.js';
import { DEFAULT_POOLS } from '../service/networks/ipam.js';
import { NetworkStore } from '../store/network-store.js';
import { NetworkRuntime } from '../runtime/network/network-runtime.js';
import { readBuildInfo } from './build-info.js';
import type { DaemonConfig } from './config.js';
import { IdleTrim } from './idle-trim.js';
import { listenAll, type Listener } from './listeners.js';
import { lockFile, type StateLock } from './state-lock.js';

/** How long shutdown lets in-flight requests finish before cutting connections. */
const SHUTDOWN_GRACE_MS = 1500;

export interface Daemon {
  api: BuiltApi;
  listeners: Listener[];
  close(): Promise<void>;
}

/** Stores and services over an open database; the daemon and in-process tests share it. */
export function createServices(config: DaemonConfig, db: Db, log: FastifyBaseLogger): Services {
  const host = readHostFacts();
  const imagesRoot = path.join(config.dataRoot, 'images');
  const imageStore = new ImageStore(db);
  const content = new ContentStore(imagesRoot);
  const containerStore = new ContainerStore(db);
  const events = new EventService({ store: new EventStore(db), log });
  const images = new ImageService({
    events,
    store: imageStore,
    content,
    layers: new LayerStore(imagesRoot),
    platform: { os: 'linux', architecture: host.goArch },
    containerUsing: (imageId) => {
      const user = containerStore.imageInUse(imageId);
      return user && { id: user.id, running: isRunning(user.status) };
    },
    loads: new OperationSlots(config.maxConcurrentLoads, 'max-concurrent-loads'),
  });
  const runtime = new ContainerRuntime({
    layout: new ContainerLayout(config.dataRoot, config.execRoot),
    cgroups: hostCgroups(config.cgroupParent),
    userns: config.usernsRemap
      ? resolveUsernsRemap(config.usernsRemap, { passwd: '/etc/passwd', group: '/etc/group', subuid: config.subuidFile, subgid: config.subgidFile })
      : undefined,
  });
  let findContainer: (ref: string) => ReturnType<ContainerService['find']> = () => undefined;
  const networks = new NetworkService({
    store: new NetworkStore(db),
    containers: containerStore,
    findContainer: (ref) => findContainer(ref),
    runtime: new NetworkRuntime(config.nftTable, config.nftTable, log),
    updateFiles: (c, hosts, nameservers) => runtime.updateNetworkFiles(c, hosts, nameservers),
    events,
    log,
    config: { bridge: config.bridge, bip: config.bip, pools: config.defaultAddressPools.length > 0 ? config.defaultAddressPools : DEFAULT_POOLS, mtu: config.mtu, ipForward: config.ipForward },
  });
  const volumes = new VolumeService({ store: new VolumeStore(db), root: path.join(config.dataRoot, 'volumes'), events });
  const containers = new ContainerService({ store: containerStore, images, runtime, events, log, networks: networks.endpoints, volumes, logDefaults: { Type: config.logDriver, Config: config.logOpts }, defaultPidsLimit: config.defaultPidsLimit });
  findContainer = (ref) => containers.find(ref);
  const registry = new RegistryService({
    images,
    events,
    store: imageStore,
    content,
    client: new RegistryClient({ insecure: config.insecureRegistries, mirrors: config.registryMirrors, userAgent: `kapal/${readBuildInfo().version}` }),
    platform: { os: 'linux', architecture: host.goArch },
    pulls: new OperationSlots(config.maxConcurrentPulls, 'max-concurrent-pulls'),
    downloads: config.maxConcurrentDownloads,
  });
  const collected = images.collect({ atStart: true });
  if (collected.layers + collected.blobs > 0) log.info(collected, 'removed image data no image references');
  const system = new SystemService({
    config,
    host,
    build: readBuildInfo(),
    engine: new EngineStore(db),
    counts: () => ({ containers: containers.counts(), images: images.count(), eventListeners: events.listenerCount() }),
    cgroupFeatures: () => runtime.cgroups.features,
  });
  const execs = new ExecService({ containers, runtime, events, log });
  return { system, images, registry, containers, events, execs, networks, volumes };
}

export async function buildDaemon(config: DaemonConfig, log: FastifyBaseLogger): Promise<Daemon> {
  const undo: (() => void | Promise<void>)[] = [];
  const unwind = async () => {
    for (const step of undo.reverse()) await step();
  };
  try {
    for (const dir of [config.dataRoot, config.execRoot]) mkdirSync(dir, { recursive: true, mode: 0o711 });
    const locks: StateLock[] = [
      lockFile(path.join(config.dataRoot, 'kapald.lock'), `data-root ${config.dataRoot}`),
      lockFile(path.join(config.execRoot, 'kapald.lock'), `exec-root ${config.execRoot}`),
    ];
    undo.push(() => locks.forEach((l) => l.release()));

    const db: Db = openDatabase(path.join(config.dataRoot, 'kapal.db'));
    undo.push(() => {
      db.close();
    });

    const build = readBuildInfo();
    const services = createServices(config, db, log);
    await services.networks.init();
    undo.push(() => services.networks.close());
    const restored = await services.containers.restore();
    await services.networks.endpoints.restore();
    try {
      services.volumes.reconcile();
    } catch (err) {
      log.warn({ err }, 'could not unmount the volumes no running container uses');
    }
    const restarted = await services.containers.restartByPolicy();
    log.info({ ...restored, restarted }, 'containers reconciled with the machine');
    undo.push(() => services.containers.close());
    undo.push(() => services.execs.close());

    const api = await buildApi({ services, logger: log, serverName: `kapal/${build.version} (linux)` });
    const idle = new IdleTrim();
    undo.push(() => idle.close());
    const listeners = await listenAll(config, (server) => {
      api.attach(server);
      idle.watch(server);
    }, log).catch(async (err) => {
      await api.close();
      throw err;
    });
    idle.touch(); // what starting up freed
    // Stop accepting first, then end the streams (upgraded sockets would otherwise keep the
    // servers open), then give short requests the grace period.
    undo.push(async () => {
      const drained = Promise.all(listeners.map((l) => l.close(SHUTDOWN_GRACE_MS)));
      await api.close();
      await drained;
    });
    // Event streams never end by themselves: end them before the listeners wait for requests.
    undo.push(() => services.events.close());

    return { api, listeners, close: unwind };
  } catch (err) {
    await unwind();
    throw err;
  }
}
