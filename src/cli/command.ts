// What a verb is: its usage line, its flags and what it runs. Modules under commands/ export these;
// the registry (registry.ts) names them, with a one-line summary, and loads one only when it runs.

import type { ApiClient, Connection } from './client.js';
import type { FlagSpec, FlagValues } from './flags.js';

export interface Context {
  connection: Connection;
  /** The daemon's API at -H / KAPAL_HOST. */
  api: ApiClient;
}

export interface Command {
  /** What follows "kapal <verb>" in the usage line, e.g. "[OPTIONS] CONTAINER [CONTAINER...]". */
  usage: string;
  flags: FlagSpec;
  /** Fewer arguments are a usage error (docker's "requires at least N argument"). */
  minArgs?: number;
  maxArgs: number;
  /** Everything from the first argument on is an argument (run IMAGE CMD -x, exec C CMD -x). */
  stopAtFirstArg?: boolean;
  run(ctx: Context, flags: FlagValues, args: string[]): Promise<number>;
}

export interface Verb {
  summary: string;
  load: () => Promise<Command>;
}

/** A verb, or a management command with verbs of its own (`kapal network ls`). */
export type Entry = Verb | { summary: string; sub: Record<string, Verb> };

export const isGroup = (e: Entry): e is { summary: string; sub: Record<string, Verb> } => 'sub' in e;
