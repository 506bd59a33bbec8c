// The system area of the CLI: version, info, events, system df/prune, network and volume
// management. Lazy imports only.

import type { Entry } from '../../command.js';

export const systemCommands: { common: Record<string, Entry>; management: Record<string, Entry>; other: Record<string, Entry> } = {
  common: {
    version: { summary: 'Show the kapal version information', load: async () => (await import('./version.js')).default },
    info: { summary: 'Display system-wide information', load: async () => (await import('./info.js')).default },
  },
  management: {},
  other: {},
};
