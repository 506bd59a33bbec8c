// GET /system/df?type=: docker system df. Images with the containers using them and the bytes
// they share with other images, containers with their sizes, volumes with theirs and their users,
// the unique layers' total; kapal has no build cache. `type` (repeatable) limits what is counted.

import { z } from 'zod';
import type { Api } from '../../app.js';
import { JSON_TYPE } from '../../errors.js';
import { containerSummary } from '../../presenters/container.js';
import { imageSummary } from '../../presenters/image.js';
import { volumeJson } from '../../presenters/volume.js';
import { invalidArgument } from '../../../domain/errors.js';
import type { Services } from '../index.js';

const TYPES = ['container', 'image', 'volume', 'build-cache'];

export default function systemDiskUsage(app: Api, { containers, images, volumes }: Services): void {
  app.get('/system/df', { schema: { querystring: z.looseObject({ type: z.union([z.string(), z.array(z.string())]).optional() }) } }, async (request, reply) => {
    const asked = request.query.type === undefined ? TYPES : [request.query.type].flat();
    for (const t of asked) if (!TYPES.includes(t)) throw invalidArgument(`unknown object type: ${t}`);
    const want = (t: string) => asked.includes(t);
    const all = containers.list({ all: true, limit: -1, filters: new Map() });
    const body: Record<string, unknown> = {};
    if (want('image')) {
      const list = images.list();
      // How many images use each layer, for SharedSize; the unique layers' total, for LayersSize.
      const users = new Map<string, { size: number; images: number }>();
      for (const img of list) {
        const sizes = images.layerSizes(img);
        img.layers.forEach((l, i) => {
          const u = users.get(l.chainId) ?? { size: sizes[i] ?? 0, images: 0 };
          u.images++;
          users.set(l.chainId, u);
        });
      }
      body.LayersSize = [...users.values()].reduce((n, u) => n + u.size, 0);
      body.Images = list.map((img) => ({
        ...imageSummary(img),
        SharedSize: img.layers.reduce((n, l) => n + ((users.get(l.chainId)?.images ?? 0) > 1 ? users.get(l.chainId)!.size : 0), 0),
        Containers: all.filter((c) => c.imageId === img.id).length,
      }));
    }
    if (want('container')) {
      const net = containers.networkingOfAll();
      body.Containers = all.map((c) => {
        const rw = containers.sizeRw(c);
        return containerSummary(c, containers.imageDisplayName(c), { views: net.views(c.id), ports: net.ports(c.id), mounts: containers.mountsView(c) }, { rw, rootFs: rw + containers.imageSize(c) });
      });
    }
    if (want('volume')) body.Volumes = volumes.list(new Map()).map((v) => ({ ...volumeJson(v, volumes.mountpoint(v.name)), UsageData: volumes.usage(v.name) }));
    if (want('build-cache')) body.BuildCache = [];
    return reply.type(JSON_TYPE).send(body);
  });
}
