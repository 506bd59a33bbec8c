// The container area of the CLI: run, create, start, stop, ps, logs, exec, attach, ... and
// `kapal container ...`. Lazy imports only.

import type { Entry } from '../../command.js';

export const containerCommands: { common: Record<string, Entry>; management: Record<string, Entry>; other: Record<string, Entry> } = {
  common: {
    ps: { summary: 'List containers', load: async () => (await import('./ps.js')).default },
  },
  management: {},
  other: {},
};
