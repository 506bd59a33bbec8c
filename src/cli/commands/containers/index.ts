// The container area of the CLI: run, create, start, stop, ps, logs, exec, attach, ... and
// `kapal container ...`. Lazy imports only.

import type { Command, Entry, Verb } from '../../command.js';

const verb = (summary: string, load: () => Promise<Command>): Verb => ({ summary, load });

const run = verb('Create and run a new container from an image', async () => (await import('./run.js')).default);
const exec = verb('Execute a command in a running container', async () => (await import('./exec.js')).default);
const ps = verb('List containers', async () => (await import('./ps.js')).default);
const create = verb('Create a new container', async () => (await import('./create.js')).default);
const start = verb('Start one or more stopped containers', async () => (await import('./attach.js')).start);
const attach = verb("Attach local standard input, output, and error streams to a running container", async () => (await import('./attach.js')).attach);
const stop = verb('Stop one or more running containers', async () => (await import('./lifecycle.js')).stop);
const restart = verb('Restart one or more containers', async () => (await import('./lifecycle.js')).restart);
const kill = verb('Kill one or more running containers', async () => (await import('./lifecycle.js')).kill);
const pause = verb('Pause all processes within one or more containers', async () => (await import('./lifecycle.js')).pause);
const unpause = verb('Unpause all processes within one or more containers', async () => (await import('./lifecycle.js')).unpause);
const rm = verb('Remove one or more containers', async () => (await import('./lifecycle.js')).rm);
const wait = verb('Block until one or more containers stop, then print their exit codes', async () => (await import('./lifecycle.js')).wait);
const rename = verb('Rename a container', async () => (await import('./lifecycle.js')).rename);
const logs = verb('Fetch the logs of a container', async () => (await import('./logs.js')).default);
const top = verb('Display the running processes of a container', async () => (await import('./observe.js')).top);
const port = verb('List port mappings or a specific mapping for the container', async () => (await import('./observe.js')).port);
const stats = verb('Display a live stream of container(s) resource usage statistics', async () => (await import('./observe.js')).stats);
const cp = verb('Copy files/folders between a container and the local filesystem', async () => (await import('./filesystem.js')).cp);
const exportFs = verb("Export a container's filesystem as a tar archive", async () => (await import('./filesystem.js')).exportFs);
const diff = verb("Inspect changes to files or directories on a container's filesystem", async () => (await import('./filesystem.js')).diff);
const commit = verb("Create a new image from a container's changes", async () => (await import('./filesystem.js')).commit);
const update = verb('Update configuration of one or more containers', async () => (await import('./update.js')).default);
const inspect = verb('Return low-level information on Docker objects', async () => (await import('./inspect.js')).inspect);
const containerInspect = verb('Display detailed information on one or more containers', async () => (await import('./inspect.js')).containerInspect);
const prune = verb('Remove all stopped containers', async () => (await import('./prune.js')).default);

export const containerCommands: { common: Record<string, Entry>; management: Record<string, Entry>; other: Record<string, Entry> } = {
  common: { run, exec, ps },
  management: {
    container: {
      summary: 'Manage containers',
      sub: { attach, commit, cp, create, diff, exec, export: exportFs, inspect: containerInspect, kill, logs, ls: ps, pause, port, prune, rename, restart, rm, run, start, stats, stop, top, unpause, update, wait },
    },
  },
  other: { attach, commit, cp, create, diff, export: exportFs, inspect, kill, logs, pause, port, rename, restart, rm, start, stats, stop, top, unpause, update, wait },
};
