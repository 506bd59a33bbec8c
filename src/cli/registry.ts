// Every verb kapal knows, grouped as `kapal --help` lists them. Each area of the CLI keeps its
// table in commands/<area>/index.ts (lazy imports only, so this costs nothing at startup).

import type { Entry } from './command.js';
import { containerCommands } from './commands/containers/index.js';
import { imageCommands } from './commands/images/index.js';
import { systemCommands } from './commands/system/index.js';

export interface Section {
  title: string;
  entries: Record<string, Entry>;
}

export const SECTIONS: Section[] = [
  { title: 'Common Commands', entries: { ...containerCommands.common, ...imageCommands.common, ...systemCommands.common } },
  { title: 'Management Commands', entries: { ...containerCommands.management, ...imageCommands.management, ...systemCommands.management } },
  {
    title: 'Commands',
    entries: {
      ...containerCommands.other,
      ...imageCommands.other,
      ...systemCommands.other,
      completion: { summary: 'Generate the shell completion script (bash or zsh)', load: async () => (await import('./completion.js')).completion },
    },
  },
];

export function lookup(verb: string): Entry | undefined {
  for (const s of SECTIONS) if (Object.hasOwn(s.entries, verb)) return s.entries[verb];
  return undefined;
}
