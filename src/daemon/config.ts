// kapald's configuration: daemon.json keys (named like dockerd's where they overlap), their
// defaults, and the merge of defaults < config file < flags. Validation happens here, once.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkDaemonLogConfig } from '../domain/log-config.js';

export const DEFAULT_CONFIG_FILE = '/etc/kapal/daemon.json';
export const DEFAULT_HOST = 'unix:///run/kapal/kapal.sock';

export type HostAddress =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'fd'; fd: number | undefined; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface DaemonConfig {
  configFile: string;
  hosts: HostAddress[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  /** Group that owns the API socket; `groupRequired` when the user named it explicitly. */
  group: string;
  groupRequired: boolean;
  debug: boolean;
  logLevel: LogLevel;
  tls: { ca: string; cert: string; key: string } | undefined;
  registryMirrors: string[];
  insecureRegistries: string[];
  /** Host resources get per-instance names so two daemons never collide. */
  bridge: string;
  bip: string | undefined;
  /** Where new networks' subnets come from (dockerd's --default-address-pool). */
  defaultAddressPools: { base: string; size: number }[];
  mtu: number;
  ipForward: boolean;
  cgroupParent: string | undefined;
  nftTable: string;
  logDriver: string;
  logOpts: Record<string, string>;
  liveRestore: boolean;
  labels: string[];
  usernsRemap: string | undefined;
  /** Where --userns-remap looks the remap user's ranges up (kapal's keys; dockerd has them fixed). */
  subuidFile: string;
  subgidFile: string;
  /** Layers one pull downloads at once (dockerd's key and default). */
  maxConcurrentDownloads: number;
  /** Whole pulls, and loads plus imports, running at once; the rest wait their turn. */
  maxConcurrentPulls: number;
  maxConcurrentLoads: number;
  /** pids.max of containers created without PidsLimit; 0 = none. */
  defaultPidsLimit: number;
}

/** Defaults of the bounds (docs/images.md and README explain the choices). */
export const DEFAULT_MAX_CONCURRENT_DOWNLOADS = 3;
export const DEFAULT_MAX_CONCURRENT_PULLS = 4;
export const DEFAULT_MAX_CONCURRENT_LOADS = 2;
/** podman's default: plenty for real workloads (threads count too), a wall for a fork bomb. */
export const DEFAULT_PIDS_LIMIT = 2048;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const absolutePath = z.string().refine((p) => path.isAbsolute(p), 'must be an absolute path');

/** daemon.json, as a user writes it. Unknown keys are refused, as dockerd does. */
export const fileSchema = z.strictObject({
  hosts: z.array(z.string()).optional(),
  'data-root': absolutePath.optional(),
  'exec-root': absolutePath.optional(),
  pidfile: absolutePath.optional(),
  group: z.string().min(1).optional(),
  debug: z.boolean().optional(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error', 'fatal']).optional(),
  tlsverify: z.boolean().optional(),
  tlscacert: absolutePath.optional(),
  tlscert: absolutePath.optional(),
  tlskey: absolutePath.optional(),
  'registry-mirrors': z.array(z.url()).optional(),
  'insecure-registries': z.array(z.string().min(1)).optional(),
  bridge: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'must be a network interface name of at most 15 characters')
    .optional(),
  bip: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 address with a prefix length, like 10.88.0.1/16')
    .optional(),
  'default-address-pools': z
    .array(
      z.strictObject({
        base: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 subnet like 10.10.0.0/16'),
        size: z.number().int().min(8).max(30),
      }),
    )
    .optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
  'ip-forward': z.boolean().optional(),
  'cgroup-parent': z.string().min(1).optional(),
  'nft-table': z
    .string()
    .regex(/^kapal[A-Za-z0-9_]{0,59}$/, 'must start with kapal, then letters, digits and _ (kapald replaces this table whole)')
    .optional(),
  'log-driver': z.enum(['json-file', 'none']).optional(),
  'log-opts': z.record(z.string(), z.string()).optional(),
  'live-restore': z.boolean().optional(),
  labels: z.array(z.string()).optional(),
  'userns-remap': z.string().min(1).optional(),
  'userns-subuid-file': absolutePath.optional(),
  'userns-subgid-file': absolutePath.optional(),
  'max-concurrent-downloads': z.number().int().min(1).max(64).optional(),
  'max-concurrent-pulls': z.number().int().min(1).max(64).optional(),
  'max-concurrent-loads': z.number().int().min(1).max(64).optional(),
  // As --pids-limit: 0 or -1 is none.
  'default-pids-limit': z.number().int().min(-1).optional(),
});

export type FileConfig = z.infer<typeof fileSchema>;
export type FileKey = keyof FileConfig;

/** Reads the config file; a missing file is fine unless the user named it. */
export function readConfigFile(file: string, explicit: boolean): FileConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new ConfigError(`unable to read config file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`invalid JSON in config file ${file}: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(`invalid config file ${file}: ${describeIssue(parsed.error)}`);
  return parsed.data;
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  if (issue.code === 'unrecognized_keys') {
    return `the following directives don't match any configuration option: ${issue.keys.join(', ')}`;
  }
  const where = issue.path.length > 0 ? issue.path.join('.') : 'top level';
  return `${where}: ${issue.message}`;
}

/** A flag and the same key in the file is an error, as in dockerd. */
export function checkConflicts(flags: FileConfig, file: FileConfig): void {
  const both = (Object.keys(flags) as FileKey[]).filter((k) => file[k] !== undefined);
  if (both.length === 0) return;
  const detail = both
    .map((k) => `${k}: (from flag: ${JSON.stringify(flags[k])}, from file: ${JSON.stringify(file[k])})`)
    .join(', ');
  throw new ConfigError(`the following directives are specified both as a flag and in the configuration file: ${detail}`);
}

export function parseHost(url: string): HostAddress {
  let m = /^unix:\/\/(\/.+)$/.exec(url);
  if (m) return { kind: 'unix', path: path.normalize(m[1]!), url };
  m = /^fd:\/\/(\d*)$/.exec(url);
  if (m) return { kind: 'fd', fd: m[1] ? Number(m[1]) : undefined, url };
  m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(url);
  if (m && Number(m[2]) <= 65535) {
    return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), url };
  }
  throw new ConfigError(`invalid host ${JSON.stringify(url)}: expected unix:///path, fd://[N] or tcp://HOST:PORT`);
}

/** Merges defaults < file < flags (already checked for conflicts) into the daemon's config. */
export function resolveConfig(configFile: string, file: FileConfig, flags: FileConfig): DaemonConfig {
  const merged: FileConfig = { ...file, ...flags };
  const parsed = fileSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${describeIssue(parsed.error)}`);
  const c = parsed.data;

  const hosts = (c.hosts && c.hosts.length > 0 ? c.hosts : [DEFAULT_HOST]).map(parseHost);
  const execRoot = c['exec-root'] ?? '/run/kapal';
  const tls = resolveTls(c, hosts);
  // dockerd's words; kapal's -b names the bridge it creates, so only "none" excludes --bip.
  if (c.bridge === 'none' && c.bip) throw new ConfigError('You specified -b & --bip, mutually exclusive options. Please specify only one');
  try {
    checkDaemonLogConfig({ Type: c['log-driver'] ?? 'json-file', Config: c['log-opts'] ?? {} });
  } catch (err) {
    throw new ConfigError(`failed to set log opts: ${(err as Error).message}`);
  }
  return {
    configFile,
    hosts,
    dataRoot: c['data-root'] ?? '/var/lib/kapal',
    execRoot,
    pidfile: c.pidfile ?? path.join(execRoot, 'kapald.pid'),
    group: c.group ?? 'kapal',
    groupRequired: c.group !== undefined,
    debug: c.debug ?? false,
    logLevel: c.debug ? 'debug' : (c['log-level'] ?? 'info'),
    tls,
    registryMirrors: c['registry-mirrors'] ?? [],
    insecureRegistries: c['insecure-registries'] ?? [],
    bridge: c.bridge ?? 'kapal0',
    bip: c.bip,
    defaultAddressPools: c['default-address-pools'] ?? [],
    mtu: c.mtu ?? 1500,
    ipForward: c['ip-forward'] ?? true,
    cgroupParent: c['cgroup-parent'],
    nftTable: c['nft-table'] ?? 'kapal',
    logDriver: c['log-driver'] ?? 'json-file',
    logOpts: c['log-opts'] ?? {},
    // Containers always outlive kapald (their shims own them), so live-restore is always on.
    liveRestore: true,
    labels: c.labels ?? [],
    usernsRemap: c['userns-remap'],
    subuidFile: c['userns-subuid-file'] ?? '/etc/subuid',
    subgidFile: c['userns-subgid-file'] ?? '/etc/subgid',
    maxConcurrentDownloads: c['max-concurrent-downloads'] ?? DEFAULT_MAX_CONCURRENT_DOWNLOADS,
    maxConcurrentPulls: c['max-concurrent-pulls'] ?? DEFAULT_MAX_CONCURRENT_PULLS,
    maxConcurrentLoads: c['max-concurrent-loads'] ?? DEFAULT_MAX_CONCURRENT_LOADS,
    defaultPidsLimit: Math.max(0, c['default-pids-limit'] ?? DEFAULT_PIDS_LIMIT),
  };
}

function resolveTls(c: FileConfig, hosts: HostAddress[]): DaemonConfig['tls'] {
  const tcp = hosts.find((h) => h.kind === 'tcp');
  const files = { ca: c.tlscacert, cert: c.tlscert, key: c.tlskey };
  if (!tcp) return c.tlsverify && files.ca && files.cert && files.key ? (files as DaemonConfig['tls']) : undefined;
  if (!c.tlsverify || !files.ca || !files.cert || !files.key) {
    throw new ConfigError(
      `refusing to listen on ${tcp.url} without TLS client authentication: ` +
        'TCP needs --tlsverify with --tlscacert, --tlscert and --tlskey (kapald runs as root; plain TCP would give root to anyone who can connect)',
    );
  }
  return { ca: files.ca, cert: files.cert, key: files.key };
}
