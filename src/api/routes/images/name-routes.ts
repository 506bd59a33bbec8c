// The operations on /images/<name>/..., grouped per method for the wildcard routes.

import type { Api } from '../../app.js';
import type { Services } from '../index.js';
import { registerNameRoutes } from './by-name.js';
import { imageHistoryOperation } from './history.js';
import { inspectImage } from './inspect.js';
import { removeImage } from './remove.js';
import { saveImage } from './save.js';
import { pushImage } from './push.js';
import { tagImage } from './tag.js';

export default function imageNameRoutes(app: Api, services: Services): void {
  registerNameRoutes(app, 'GET', '/images/', [inspectImage(services), imageHistoryOperation(services), saveImage(services)]);
  registerNameRoutes(app, 'POST', '/images/', [tagImage(services), pushImage(services)]);
  registerNameRoutes(app, 'DELETE', '/images/', [removeImage(services)]);
}
