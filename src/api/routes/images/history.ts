// GET /images/{name}/history.

import { JSON_TYPE } from '../../errors.js';
import { imageHistory } from '../../presenters/image.js';
import type { Services } from '../index.js';
import type { NameOperation } from './by-name.js';

export const imageHistoryOperation = ({ images }: Services): NameOperation => ({
  suffix: 'history',
  handler: async (name, _request, reply) => {
    const image = images.get(name);
    return reply.type(JSON_TYPE).send(imageHistory(image, images.layerSizes(image)));
  },
});
