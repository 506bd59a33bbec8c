// kapal, the command-line client: global flags, then one verb of the registry, imported only when it
// runs so that startup costs little more than node's own. It speaks to kapald over the HTTP API only.

import os from 'node:os';
import path from 'node:path';
import { ApiClient, type Connection } from './client.js';
import { isGroup, type Command, type Entry, type Verb } from './command.js';
import { flagHelp, parseFlags, type FlagSpec, type Parsed } from './flags.js';
import { reportError, UsageError } from './output.js';
import { SECTIONS, lookup } from './registry.js';

export type { Command, Context } from './command.js';

const DEFAULT_HOST = 'unix:///run/kapal/kapal.sock';

const GLOBAL_FLAGS: FlagSpec = {
  host: { short: 'H', arg: 'string', help: `Daemon socket to connect to (env KAPAL_HOST, default ${DEFAULT_HOST})` },
  help: { short: 'h', help: 'Print usage' },
  version: { short: 'v', help: 'Print version information and quit' },
};

const HELP_FLAG: FlagSpec = { help: { short: 'h', help: 'Print usage' } };

const listing = (entries: Record<string, Entry | Verb>) => Object.entries(entries).map(([verb, e]) => `  ${verb.padEnd(12)}${e.summary}`).join('\n');

function mainHelp(): string {
  // As docker: the common commands in their own order, the others alphabetical.
  const sorted = (s: (typeof SECTIONS)[number]) => (s.title === 'Common Commands' ? s.entries : Object.fromEntries(Object.entries(s.entries).sort(([a], [b]) => a.localeCompare(b))));
  const sections = SECTIONS.filter((s) => Object.keys(s.entries).length > 0).map((s) => `${s.title}:\n${listing(sorted(s))}`);
  return [
    'Usage:  kapal [OPTIONS] COMMAND',
    'A container engine that speaks the Docker Engine API',
    ...sections,
    `Global Options:\n${flagHelp(GLOBAL_FLAGS)}`,
    "Run 'kapal COMMAND --help' for more information on a command.",
  ].join('\n\n');
}

function groupHelp(name: string, summary: string, sub: Record<string, Verb>): string {
  return `Usage:  kapal ${name} COMMAND\n\n${summary}\n\nCommands:\n${listing(sub)}\n\nRun 'kapal ${name} COMMAND --help' for more information on a command.`;
}

export function commandHelp(verb: string, summary: string, command: Command): string {
  const options = Object.keys(command.flags).length ? `\n\nOptions:\n${flagHelp(command.flags)}` : '';
  return `Usage:  kapal ${verb} ${command.usage}\n\n${summary}${options}`;
}

async function runVerb(verb: string, entry: Verb, argv: string[], connection: Connection): Promise<number> {
  const command = await entry.load();
  const helpCommand = `kapal ${verb} --help`;
  try {
    // -h is --help unless the verb has a -h of its own (run's --hostname); --help always is.
    const ownH = Object.values(command.flags).some((f) => f.short === 'h');
    const help = ownH ? { help: { help: 'Print usage' } } : HELP_FLAG;
    const { values, args } = parseFlags(argv, { ...command.flags, ...help }, command.stopAtFirstArg === true);
    if (values.help) {
      process.stdout.write(`${commandHelp(verb, entry.summary, command)}\n`);
      return 0;
    }
    const min = command.minArgs ?? 0;
    if (args.length < min) {
      const exactly = min === command.maxArgs;
      throw new UsageError(`"kapal ${verb}" requires ${exactly ? 'exactly' : 'at least'} ${min} argument${min === 1 ? '' : 's'}.\nUsage:  kapal ${verb} ${command.usage}`, 1);
    }
    if (args.length > command.maxArgs) {
      const allowed = command.maxArgs === 0 ? 'accepts no arguments' : `accepts at most ${command.maxArgs} argument(s)`;
      throw new UsageError(`"kapal ${verb}" ${allowed}.`, 1);
    }
    return await command.run({ connection, api: new ApiClient(connection) }, values, args);
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
    const { shortVersion } = await import('./commands/system/version.js');
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
  if (!isGroup(entry)) return runVerb(name, entry, argvOfVerb, { host, certPath });
  // A management command: `kapal network ls ...`.
  const [subName, ...subArgv] = argvOfVerb;
  if (subName === undefined || subName === '--help' || subName === '-h') {
    process.stdout.write(`${groupHelp(name, entry.summary, entry.sub)}\n`);
    return 0;
  }
  const sub = Object.hasOwn(entry.sub, subName) ? entry.sub[subName] : undefined;
  if (!sub) {
    process.stderr.write(`kapal: '${name} ${subName}' is not a kapal command.\nSee 'kapal ${name} --help'\n`);
    return 1;
  }
  return runVerb(`${name} ${subName}`, sub, subArgv, { host, certPath });
}

// A reader that goes away (kapal info | head -1) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
// exitCode rather than exit(): stdout to a pipe may still be draining.
process.exitCode = await main(process.argv.slice(2), process.env);
