// Every route kapald serves, one file per route; openapi.yaml documents exactly these.

import type { Api } from '../app.js';
import type { SystemService } from '../../service/system-service.js';
import ping from './system/ping.js';
import version from './system/version.js';
import info from './system/info.js';
import createContainer from './containers/create.js';
import loadImages from './images/load.js';
import listImages from './images/list.js';
import saveImages from './images/save.js';
import imageNameRoutes from './images/name-routes.js';
import createImage from './images/create.js';
import pruneImages from './images/prune.js';
import type { ImageService } from '../../service/image-service.js';
import type { RegistryService } from '../../service/registry-service.js';
import distributionRoutes from './distribution/inspect.js';

export interface Services {
  system: SystemService;
  images: ImageService;
  registry: RegistryService;
}

export function registerRoutes(app: Api, services: Services): void {
  for (const route of [ping, version, info, createContainer, loadImages, listImages, saveImages, createImage, pruneImages, imageNameRoutes, distributionRoutes]) route(app, services);
}
