// Every route kapald serves, one file per route; openapi.yaml documents exactly these.

import type { Api } from '../app.js';
import type { SystemService } from '../../service/system-service.js';
import ping from './system/ping.js';
import version from './system/version.js';
import info from './system/info.js';
import createContainer from './containers/create.js';

export interface Services {
  system: SystemService;
}

export function registerRoutes(app: Api, services: Services): void {
  for (const route of [ping, version, info, createContainer]) route(app, services);
}
