// kapald's command line, named like dockerd's. Flags become daemon.json-shaped values so that
// config.ts can detect a key given twice and merge everything in one place.

import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_CONFIG_FILE, type FileConfig, type FileKey } from './config.js';

type FlagKind = 'string' | 'list' | 'bool' | 'map' | 'int' | 'pools';

interface FlagSpec {
  short?: string;
  key: FileKey;
  kind: FlagKind;
  arg?: string;
  help: string;
}

/** Flag name → daemon.json key. The order is the order of `kapald --help`. */
const FLAGS: Record<string, FlagSpec> = {
  host: { short: 'H', key: 'hosts', kind: 'list', arg: 'URL', help: 'Socket to listen on: unix:///path, fd://[N], tcp://HOST:PORT (TLS only); repeatable' },
  'data-root': { key: 'data-root', kind: 'string', arg: 'DIR', help: 'Persistent state: database, images, volumes (default /var/lib/kapal)' },
  'exec-root': { key: 'exec-root', kind: 'string', arg: 'DIR', help: 'Runtime state: container bundles, shim sockets (default /run/kapal)' },
  pidfile: { short: 'p', key: 'pidfile', kind: 'string', arg: 'FILE', help: 'Where to write the daemon PID (default EXEC-ROOT/kapald.pid)' },
  group: { short: 'G', key: 'group', kind: 'string', arg: 'NAME', help: 'Group that may use the Unix socket (default kapal)' },
  debug: { short: 'D', key: 'debug', kind: 'bool', help: 'Debug logging' },
  'log-level': { short: 'l', key: 'log-level', kind: 'string', arg: 'LEVEL', help: 'debug, info, warn, error or fatal (default info)' },
  tlsverify: { key: 'tlsverify', kind: 'bool', help: 'Require TLS client certificates (needed for tcp://)' },
  tlscacert: { key: 'tlscacert', kind: 'string', arg: 'FILE', help: 'CA that signs client certificates' },
  tlscert: { key: 'tlscert', kind: 'string', arg: 'FILE', help: 'Server certificate' },
  tlskey: { key: 'tlskey', kind: 'string', arg: 'FILE', help: 'Server key' },
  'registry-mirror': { key: 'registry-mirrors', kind: 'list', arg: 'URL', help: 'Mirror for docker.io; repeatable' },
  'insecure-registry': { key: 'insecure-registries', kind: 'list', arg: 'HOST', help: 'Registry reached over plain HTTP; repeatable' },
  bridge: { short: 'b', key: 'bridge', kind: 'string', arg: 'NAME', help: 'Name of the default bridge (default kapal0)' },
  bip: { key: 'bip', kind: 'string', arg: 'CIDR', help: 'Address and subnet of the default bridge (default: a free one of the pools)' },
  'default-address-pool': { key: 'default-address-pools', kind: 'pools', arg: 'base=CIDR,size=N', help: "Subnets for networks: CIDR split into /N; repeatable (default docker's)" },
  mtu: { key: 'mtu', kind: 'int', arg: 'BYTES', help: 'MTU of the default bridge and container interfaces (default 1500)' },
  'cgroup-parent': { key: 'cgroup-parent', kind: 'string', arg: 'PATH', help: "Parent cgroup of containers (default below kapald's own)" },
  'nft-table': { key: 'nft-table', kind: 'string', arg: 'NAME', help: 'nftables table owned by this daemon (default kapal)' },
  'log-driver': { key: 'log-driver', kind: 'string', arg: 'NAME', help: 'Default log driver: json-file or none' },
  'log-opt': { key: 'log-opts', kind: 'map', arg: 'K=V', help: 'Default log driver option; repeatable' },
  'live-restore': { key: 'live-restore', kind: 'bool', help: 'Accepted for dockerd compatibility; containers always outlive kapald' },
  label: { key: 'labels', kind: 'list', arg: 'K=V', help: 'Daemon label; repeatable' },
  'userns-remap': { key: 'userns-remap', kind: 'string', arg: 'USER', help: 'Run containers in a user namespace mapped to USER' },
  'max-concurrent-downloads': { key: 'max-concurrent-downloads', kind: 'int', arg: 'N', help: 'Layers one pull downloads at once (default 3)' },
  'max-concurrent-pulls': { key: 'max-concurrent-pulls', kind: 'int', arg: 'N', help: 'Pulls running at once; more wait their turn (default 4)' },
  'max-concurrent-loads': { key: 'max-concurrent-loads', kind: 'int', arg: 'N', help: 'Loads and imports running at once; more wait their turn (default 2)' },
  'default-pids-limit': { key: 'default-pids-limit', kind: 'int', arg: 'N', help: 'Pids limit of containers created without one; 0 or -1: none (default 2048)' },
};

export interface ParsedFlags {
  configFile: string;
  configFileExplicit: boolean;
  values: FileConfig;
  help: boolean;
  version: boolean;
}

export function parseFlags(argv: string[]): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    'config-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' },
  };
  for (const [name, spec] of Object.entries(FLAGS)) {
    options[name] = {
      type: spec.kind === 'bool' ? 'boolean' : 'string',
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.kind === 'list' || spec.kind === 'map' || spec.kind === 'pools' ? { multiple: true } : {}),
    };
  }

  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError(describeParseError(err as NodeJS.ErrnoException & { message: string }));
  }

  const values: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(parsed.values)) {
    const spec = FLAGS[name];
    if (!spec || raw === undefined) continue;
    values[spec.key] = spec.kind === 'map' ? toMap(name, raw as string[]) : spec.kind === 'pools' ? (raw as string[]).map((p) => toPool(name, p)) : spec.kind === 'int' ? toInt(name, raw as string) : raw;
  }
  const configFile = parsed.values['config-file'] as string | undefined;
  return {
    configFile: configFile ?? DEFAULT_CONFIG_FILE,
    configFileExplicit: configFile !== undefined,
    values: values as FileConfig,
    help: parsed.values.help === true,
    version: parsed.values.version === true,
  };
}

function toMap(flag: string, pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`invalid value ${JSON.stringify(pair)} for flag --${flag}: expected KEY=VALUE`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** dockerd's `base=10.10.0.0/16,size=24`. */
function toPool(flag: string, value: string): { base: string; size: number } {
  const fields = toMap(flag, value.split(','));
  const size = Number(fields.size);
  if (!fields.base || !Number.isInteger(size) || Object.keys(fields).some((k) => k !== 'base' && k !== 'size')) {
    throw new ConfigError(`invalid value ${JSON.stringify(value)} for flag --${flag}: expected base=CIDR,size=N`);
  }
  return { base: fields.base, size };
}

/**
 * `--default-pids-limit -1` as pflag takes it: util.parseArgs refuses a value that starts with
 * `-` as ambiguous, so a number after an int flag becomes `--flag=-1`.
 */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && FLAGS[arg.slice(2)]?.kind === 'int' && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

function toInt(flag: string, value: string): number {
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`invalid value ${JSON.stringify(value)} for flag --${flag}: expected a number`);
  return Number(value);
}

function describeParseError(err: NodeJS.ErrnoException & { message: string }): string {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag: ${quoted}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument: ${quoted}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return err.message.includes('argument missing')
        ? `flag needs an argument: ${/--[\w-]+/.exec(quoted)?.[0] ?? quoted}`
        : `flag does not take an argument: ${quoted}`;
    default:
      return err.message;
  }
}

export function usage(): string {
  const lines = ['Usage: kapald [OPTIONS]', '', 'kapal container engine daemon: serves the Docker Engine API.', '', 'Options:'];
  const row = (left: string, help: string) => lines.push(`  ${left.padEnd(30)} ${help}`);
  row('--config-file FILE', `Daemon configuration file (default ${DEFAULT_CONFIG_FILE})`);
  for (const [name, spec] of Object.entries(FLAGS)) {
    const short = spec.short ? `-${spec.short}, ` : '    ';
    row(`${short}--${name}${spec.arg ? ` ${spec.arg}` : ''}`, spec.help);
  }
  row('-h, --help', 'Print this help');
  row('-v, --version', 'Print the version');
  return lines.join('\n');
}
