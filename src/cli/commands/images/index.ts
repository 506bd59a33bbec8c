// The image area of the CLI: images, pull, push, load, save, import, tag, rmi, history and
// `kapal image ...`. Lazy imports only.

import type { Entry, Verb } from '../../command.js';

const verb = (summary: string, load: Verb['load']): Verb => ({ summary, load });

const images = verb('List images', async () => (await import('./list.js')).imagesCommand);
const ls = verb('List images', async () => (await import('./list.js')).lsCommand);
const pull = verb('Download an image from a registry', async () => (await import('./pull.js')).default);
const push = verb('Upload an image to a registry', async () => (await import('./push.js')).default);
const load = verb('Load an image from a tar archive or STDIN', async () => (await import('./load.js')).default);
const save = verb('Save one or more images to a tar archive (streamed to STDOUT by default)', async () => (await import('./save.js')).default);
const importVerb = verb('Import the contents from a tarball to create a filesystem image', async () => (await import('./import.js')).default);
const tag = verb('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', async () => (await import('./tag.js')).default);
const rm = verb('Remove one or more images', async () => (await import('./remove.js')).default);
const history = verb('Show the history of an image', async () => (await import('./history.js')).default);
const inspect = verb('Display detailed information on one or more images', async () => (await import('./inspect.js')).default);
const prune = verb('Remove unused images', async () => (await import('./prune.js')).default);

export const imageCommands: { common: Record<string, Entry>; management: Record<string, Entry>; other: Record<string, Entry> } = {
  common: { images, pull, push },
  management: {
    image: {
      summary: 'Manage images',
      sub: { history, import: importVerb, inspect, load, ls, prune, pull, push, rm, save, tag },
    },
  },
  other: { load, save, import: importVerb, tag, rmi: rm, history },
};
