// GET /images/{name}/json.

import { JSON_TYPE } from '../../errors.js';
import { imageInspect } from '../../presenters/image.js';
import type { Services } from '../index.js';
import type { NameOperation } from './by-name.js';

export const inspectImage = ({ images }: Services): NameOperation => ({
  suffix: 'json',
  handler: async (name, _request, reply) => {
    const image = images.get(name);
    return reply.type(JSON_TYPE).send(imageInspect(image, { lowerDirs: images.layerPaths(image) }));
  },
});
