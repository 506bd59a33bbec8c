// The image area of the CLI: images, pull, push, load, save, import, tag, rmi, history and
// `kapal image ...`. Lazy imports only.

import type { Entry } from '../../command.js';

export const imageCommands: { common: Record<string, Entry>; management: Record<string, Entry>; other: Record<string, Entry> } = {
  common: {},
  management: {},
  other: {},
};
