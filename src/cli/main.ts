// kapal, the command-line client: global flags, then one verb from COMMANDS, imported only when it
// runs so that startup costs little more than node's own. It speaks to kapald over the HTTP API only.

import os from 'node:os';
import path from 'node:path';
import type { Connection } from './client.js';
import { reportError, UsageError } from './output.js';

export interface Flag {
  short?: string;
  /** The value's placeholder in help ("string"); a flag without one is a boolean. */
  arg?: string;
  help: string;
}

/** Parsed flags by long name: the value, or true for a boolean that was given. */
export type FlagValues = Record<string, string | true | undefined>;

export interface Context {
  connection: Connection;
}

/** What a module under commands/ exports as default. Its one-line summary lives in COMMANDS. */
export interface Command {
  /** What follows "kapal <verb>" in the usage line, e.g. "[OPTIONS]". */
  usage: string;
  flags: Record<string, Flag>;
  maxArgs: number;
  run(ctx: Context, flags: FlagValues, args: string[]): Promise<number>;
}

interface Entry {
  group: string;
  summary: string;
  load: () => Promise<{ default: Command }>;
}

/** Every verb, in the order of `kapal --help` within its group. */
const COMMANDS: Record<string, Entry> = {
  version: { group: 'Common Commands', summary: 'Show the kapal version information', load: () => import('./commands/version.js') },
  info: { group: 'Common Commands', summary: 'Display system-wide information', load: () => import('./commands/info.js') },
};

const DEFAULT_HOST = 'unix:///run/kapal/kapal.sock';

const GLOBAL_FLAGS: Record<string, Flag> = {
  host: { short: 'H', arg: 'string', help: `Daemon socket to connect to (env KAPAL_HOST, default ${DEFAULT_HOST})` },
  help: { short: 'h', help: 'Print usage' },
  version: { short: 'v', help: 'Print version information and quit' },
};

interface Parsed {
  values: FlagValues;
  args: string[];
}

/** pflag-like parsing: --name value, --name=value, -x value, -xVALUE, -abc for booleans; "--" ends the flags. */
function parseFlags(argv: string[], spec: Record<string, Flag>, stopAtFirstArg: boolean): Parsed {
  const byShort = new Map(Object.entries(spec).flatMap(([name, f]) => (f.short ? [[f.short, name] as const] : [])));
  const values: FlagValues = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--' || ((!word.startsWith('-') || word === '-') && stopAtFirstArg)) {
      args.push(...argv.slice(word === '--' ? i + 1 : i));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      args.push(word);
    } else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
      const inline = eq < 0 ? undefined : word.slice(eq + 1);
      if (!flag) throw new UsageError(`unknown flag: --${name}`);
      if (!flag.arg) {
        if (inline !== undefined && inline !== 'true' && inline !== 'false') {
          throw new UsageError(`invalid argument "${inline}" for "--${name}" flag: expected true or false`);
        }
        values[name] = inline === 'false' ? undefined : true;
        continue;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      values[name] = value;
    } else {
      i = parseShorts(argv, i, spec, byShort, values);
    }
  }
  return { values, args };
}

/** One word of short flags, e.g. -it or -fjson or -f json; returns the index of the last word used. */
function parseShorts(argv: string[], i: number, spec: Record<string, Flag>, byShort: Map<string, string>, values: FlagValues): number {
  const word = argv[i]!;
  for (let j = 1; j < word.length; j++) {
    const name = byShort.get(word[j]!);
    if (name === undefined) throw new UsageError(`unknown shorthand flag: '${word[j]}' in ${word}`);
    if (!spec[name]!.arg) {
      values[name] = true;
      continue;
    }
    // -xVALUE and -x=VALUE both mean VALUE, as in pflag.
    const rest = word.slice(j + 1).replace(/^=/, '');
    const value = rest !== '' ? rest : argv[++i];
    if (value === undefined) throw new UsageError(`flag needs an argument: '${word[j]}' in ${word}`);
    values[name] = value;
    break;
  }
  return i;
}

function flagHelp(spec: Record<string, Flag>): string {
  const rows = Object.entries(spec).map(([name, f]) => [`${f.short ? `-${f.short}, ` : '    '}--${name}${f.arg ? ` ${f.arg}` : ''}`, f.help] as const);
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  return rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`).join('\n');
}

function mainHelp(): string {
  const groups = new Map<string, string[]>();
  for (const [verb, entry] of Object.entries(COMMANDS)) {
    const lines = groups.get(entry.group) ?? groups.set(entry.group, []).get(entry.group)!;
    lines.push(`  ${verb.padEnd(12)}${entry.summary}`);
  }
  const sections = [...groups].map(([group, lines]) => `${group}:\n${lines.join('\n')}`);
  return [
    'Usage:  kapal [OPTIONS] COMMAND',
    'A container engine that speaks the Docker Engine API',
    ...sections,
    `Global Options:\n${flagHelp(GLOBAL_FLAGS)}`,
    "Run 'kapal COMMAND --help' for more information on a command.",
  ].join('\n\n');
}

function commandHelp(verb: string, entry: Entry, command: Command): string {
  const options = Object.keys(command.flags).length ? `\n\nOptions:\n${flagHelp(command.flags)}` : '';
  return `Usage:  kapal ${verb} ${command.usage}\n\n${entry.summary}${options}`;
}

function lookup(verb: string): Entry | undefined {
  return Object.hasOwn(COMMANDS, verb) ? COMMANDS[verb] : undefined;
}

async function runVerb(verb: string, entry: Entry, argv: string[], connection: Connection): Promise<number> {
  const command = (await entry.load()).default;
  const helpCommand = `kapal ${verb} --help`;
  try {
    const { values, args } = parseFlags(argv, { ...command.flags, help: { short: 'h', help: 'Print usage' } }, false);
    if (values.help) {
      process.stdout.write(`${commandHelp(verb, entry, command)}\n`);
      return 0;
    }
    if (args.length > command.maxArgs) {
      const allowed = command.maxArgs === 0 ? 'accepts no arguments' : `accepts at most ${command.maxArgs} argument(s)`;
      throw new UsageError(`"kapal ${verb}" ${allowed}.`, 1);
    }
    return await command.run({ connection }, values, args);
  } catch (err) {
    return reportError(err, helpCommand);
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let global: Parsed;
  try {
    global = parseFlags(argv, GLOBAL_FLAGS, true);
  } catch (err) {
    return reportError(err, 'kapal --help');
  }
  if (global.values.version) {
    const { shortVersion } = await import('./commands/version.js');
    process.stdout.write(`${shortVersion()}\n`);
    return 0;
  }
  const [verb, ...rest] = global.args;
  if (global.values.help || verb === undefined || (verb === 'help' && rest.length === 0)) {
    process.stdout.write(`${mainHelp()}\n`);
    return 0;
  }
  // `kapal help VERB` is `kapal VERB --help`.
  const [name, argvOfVerb] = verb === 'help' ? [rest[0]!, ['--help']] : [verb, rest];
  const entry = lookup(name);
  if (!entry) {
    process.stderr.write(`kapal: '${name}' is not a kapal command.\nSee 'kapal --help'\n`);
    return 1;
  }
  const host = typeof global.values.host === 'string' ? global.values.host : env.KAPAL_HOST || DEFAULT_HOST;
  const certPath = env.KAPAL_CERT_PATH || path.join(os.homedir(), '.kapal');
  return runVerb(name, entry, argvOfVerb, { host, certPath });
}

// A reader that goes away (kapal info | head -1) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
// exitCode rather than exit(): stdout to a pipe may still be draining.
process.exitCode = await main(process.argv.slice(2), process.env);
