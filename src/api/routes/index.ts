// Every route kapald serves, one file per route; openapi.yaml documents exactly these.

import type { Api } from '../app.js';
import type { SystemService } from '../../service/system-service.js';
import ping from './system/ping.js';
import version from './system/version.js';
import info from './system/info.js';
import systemEvents from './system/events.js';
import systemDiskUsage from './system/df.js';
import createContainer from './containers/create.js';
import startContainer from './containers/start.js';
import stopContainer from './containers/stop.js';
import restartContainer from './containers/restart.js';
import killContainer from './containers/kill.js';
import pauseContainer from './containers/pause.js';
import renameContainer from './containers/rename.js';
import removeContainer from './containers/remove.js';
import listContainers from './containers/list.js';
import inspectContainer from './containers/inspect.js';
import topContainer from './containers/top.js';
import pruneContainers from './containers/prune.js';
import resizeContainer from './containers/resize.js';
import waitContainer from './containers/wait.js';
import updateContainer from './containers/update.js';
import containerStats from './containers/stats.js';
import containerChanges from './containers/changes.js';
import commitContainer from './containers/commit.js';
import exportContainer from './containers/export.js';
import containerArchive from './containers/archive.js';
import containerLogs from './containers/logs.js';
import attachContainer from './containers/attach.js';
import attachContainerWebsocket from './containers/attach-ws.js';
import loadImages from './images/load.js';
import listImages from './images/list.js';
import saveImages from './images/save.js';
import imageNameRoutes from './images/name-routes.js';
import createImage from './images/create.js';
import pruneImages from './images/prune.js';
import type { ImageService } from '../../service/image-service.js';
import type { RegistryService } from '../../service/registry-service.js';
import distributionRoutes from './distribution/inspect.js';
import type { ContainerService } from '../../service/containers/service.js';
import type { EventService } from '../../service/events.js';
import type { ExecService } from '../../service/exec/service.js';
import type { NetworkService } from '../../service/networks/service.js';
import type { VolumeService } from '../../service/volumes/service.js';
import createExec from './exec/create.js';
import startExec from './exec/start.js';
import startExecWebsocket from './exec/start-ws.js';
import inspectExec from './exec/inspect.js';
import resizeExec from './exec/resize.js';
import listNetworks from './networks/list.js';
import inspectNetwork from './networks/inspect.js';
import createNetwork from './networks/create.js';
import removeNetwork from './networks/remove.js';
import connectNetwork from './networks/connect.js';
import disconnectNetwork from './networks/disconnect.js';
import pruneNetworks from './networks/prune.js';
import listVolumes from './volumes/list.js';
import createVolume from './volumes/create.js';
import inspectVolume from './volumes/inspect.js';
import removeVolume from './volumes/remove.js';
import pruneVolumes from './volumes/prune.js';

export interface Services {
  system: SystemService;
  images: ImageService;
  registry: RegistryService;
  containers: ContainerService;
  events: EventService;
  execs: ExecService;
  networks: NetworkService;
  volumes: VolumeService;
}

export function registerRoutes(app: Api, services: Services): void {
  const containerRoutes = [
    createContainer, startContainer, stopContainer, restartContainer, killContainer, pauseContainer, renameContainer,
    removeContainer, listContainers, inspectContainer, topContainer, pruneContainers, resizeContainer, waitContainer,
    containerLogs, attachContainer, attachContainerWebsocket, updateContainer,
    containerStats, containerChanges, commitContainer, exportContainer, containerArchive,
  ];
  const execRoutes = [createExec, startExec, startExecWebsocket, inspectExec, resizeExec];
  const networkRoutes = [listNetworks, inspectNetwork, createNetwork, removeNetwork, connectNetwork, disconnectNetwork, pruneNetworks];
  const volumeRoutes = [listVolumes, createVolume, inspectVolume, removeVolume, pruneVolumes];
  for (const route of [ping, version, info, systemEvents, systemDiskUsage, ...containerRoutes, ...execRoutes, ...networkRoutes, ...volumeRoutes, loadImages, listImages, saveImages, createImage, pruneImages, imageNameRoutes, distributionRoutes]) route(app, services);
}
