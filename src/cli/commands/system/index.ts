// The system area of the CLI: version, info, events, system df/prune, network and volume
// management. Lazy imports only.

import type { Entry, Verb } from '../../command.js';

const events: Verb = { summary: 'Get real time events from the server', load: async () => (await import('./events.js')).default };
const info: Verb = { summary: 'Display system-wide information', load: async () => (await import('./info.js')).default };

export const systemCommands: { common: Record<string, Entry>; management: Record<string, Entry>; other: Record<string, Entry> } = {
  common: {
    version: { summary: 'Show the kapal version information', load: async () => (await import('./version.js')).default },
    info,
  },
  management: {
    network: {
      summary: 'Manage networks',
      sub: {
        connect: { summary: 'Connect a container to a network', load: async () => (await import('./network/connect.js')).default },
        create: { summary: 'Create a network', load: async () => (await import('./network/create.js')).default },
        disconnect: { summary: 'Disconnect a container from a network', load: async () => (await import('./network/disconnect.js')).default },
        inspect: { summary: 'Display detailed information on one or more networks', load: async () => (await import('./network/inspect.js')).default },
        ls: { summary: 'List networks', load: async () => (await import('./network/ls.js')).default },
        prune: { summary: 'Remove all unused networks', load: async () => (await import('./network/prune.js')).default },
        rm: { summary: 'Remove one or more networks', load: async () => (await import('./network/rm.js')).default },
      },
    },
    system: {
      summary: 'Manage kapal',
      sub: {
        df: { summary: 'Show kapal disk usage', load: async () => (await import('./df.js')).default },
        events,
        info,
        prune: { summary: 'Remove unused data', load: async () => (await import('./prune.js')).default },
      },
    },
    volume: {
      summary: 'Manage volumes',
      sub: {
        create: { summary: 'Create a volume', load: async () => (await import('./volume/create.js')).default },
        inspect: { summary: 'Display detailed information on one or more volumes', load: async () => (await import('./volume/inspect.js')).default },
        ls: { summary: 'List volumes', load: async () => (await import('./volume/ls.js')).default },
        prune: { summary: 'Remove unused local volumes', load: async () => (await import('./volume/prune.js')).default },
        rm: { summary: 'Remove one or more volumes', load: async () => (await import('./volume/rm.js')).default },
      },
    },
  },
  other: {
    events,
  },
};
