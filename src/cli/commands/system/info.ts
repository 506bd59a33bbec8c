// kapal info: GET /info printed in the order and wording of `docker info`'s Server section;
// the daemon's warnings go to stderr. --format json prints the answer as it came.

import { ApiClient } from '../../client.js';
import type { Command } from '../../command.js';
import { bytesSize, jsonFormat, FORMAT_FLAG } from '../../output.js';

/** The fields of GET /info that this command prints. */
interface Info {
  ID?: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  ServerVersion?: string;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null };
  Swarm?: { LocalNodeState?: string };
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
  InitBinary?: string;
  SecurityOptions?: string[] | null;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU: number;
  MemTotal: number;
  Name?: string;
  DockerRootDir?: string;
  Debug?: boolean;
  NFd?: number;
  NGoroutines?: number;
  SystemTime?: string;
  NEventsListener?: number;
  HttpProxy?: string;
  HttpsProxy?: string;
  NoProxy?: string;
  Labels?: string[] | null;
  ExperimentalBuild?: boolean;
  RegistryConfig?: {
    InsecureRegistryCIDRs?: string[] | null;
    IndexConfigs?: Record<string, { Name: string; Secure: boolean }> | null;
    Mirrors?: string[] | null;
  } | null;
  LiveRestoreEnabled?: boolean;
  Warnings?: string[] | null;
}

/** "name=seccomp,profile=builtin" → "  seccomp" and "   Profile: builtin", as docker prints them. */
function securityOptionLines(options: string[]): string[] {
  return options.flatMap((option) => {
    const pairs = option.split(',').map((kv) => kv.split('=', 2) as [string, string?]);
    const name = pairs.find(([k]) => k === 'name')?.[1] ?? option;
    const rest = pairs.filter(([k, v]) => k !== 'name' && v !== undefined);
    return [`  ${name}`, ...rest.map(([k, v]) => `   ${k.charAt(0).toUpperCase()}${k.slice(1)}: ${v}`)];
  });
}

function serverLines(info: Info): string[] {
  const lines: string[] = [];
  // Go's Println: label and value joined by a space.
  const line = (label: string, value: unknown) => lines.push(`${label} ${String(value)}`);
  const nonEmpty = (label: string, value: string | undefined) => value && line(label, value);
  const list = (label: string, items: string[] | null | undefined) => {
    if (items?.length) lines.push(label, ...items.map((item) => `  ${item}`));
  };

  lines.push('Server:');
  line(' Containers:', info.Containers);
  line('  Running:', info.ContainersRunning);
  line('  Paused:', info.ContainersPaused);
  line('  Stopped:', info.ContainersStopped);
  line(' Images:', info.Images);
  nonEmpty(' Server Version:', info.ServerVersion);
  line(' Storage Driver:', info.Driver ?? '');
  for (const [key, value] of info.DriverStatus ?? []) line(`  ${key}:`, value);
  nonEmpty(' Logging Driver:', info.LoggingDriver);
  nonEmpty(' Cgroup Driver:', info.CgroupDriver);
  nonEmpty(' Cgroup Version:', info.CgroupVersion);
  lines.push(' Plugins:');
  line('  Volume:', (info.Plugins?.Volume ?? []).join(' '));
  line('  Network:', (info.Plugins?.Network ?? []).join(' '));
  if (info.Plugins?.Authorization?.length) line('  Authorization:', info.Plugins.Authorization.join(' '));
  line('  Log:', (info.Plugins?.Log ?? []).join(' '));
  line(' Swarm:', info.Swarm?.LocalNodeState ?? 'inactive');
  const runtimes = Object.keys(info.Runtimes ?? {}).sort();
  if (runtimes.length) {
    line(' Runtimes:', runtimes.join(' '));
    line(' Default Runtime:', info.DefaultRuntime ?? '');
  }
  nonEmpty(' Init Binary:', info.InitBinary);
  if (info.SecurityOptions?.length) lines.push(' Security Options:', ...securityOptionLines(info.SecurityOptions));
  nonEmpty(' Kernel Version:', info.KernelVersion);
  nonEmpty(' Operating System:', info.OperatingSystem);
  nonEmpty(' OSType:', info.OSType);
  nonEmpty(' Architecture:', info.Architecture);
  line(' CPUs:', info.NCPU);
  line(' Total Memory:', bytesSize(info.MemTotal));
  nonEmpty(' Name:', info.Name);
  nonEmpty(' ID:', info.ID);
  line(' Kapal Root Dir:', info.DockerRootDir ?? '');
  line(' Debug Mode:', info.Debug ?? false);
  if (info.Debug) {
    line('  File Descriptors:', info.NFd ?? 0);
    line('  Goroutines:', info.NGoroutines ?? 0);
    line('  System Time:', info.SystemTime ?? '');
    line('  EventsListeners:', info.NEventsListener ?? 0);
  }
  nonEmpty(' HTTP Proxy:', info.HttpProxy);
  nonEmpty(' HTTPS Proxy:', info.HttpsProxy);
  nonEmpty(' No Proxy:', info.NoProxy);
  list(' Labels:', info.Labels);
  line(' Experimental:', info.ExperimentalBuild ?? false);
  const registry = info.RegistryConfig;
  const insecureNames = Object.values(registry?.IndexConfigs ?? {}).filter((c) => !c.Secure).map((c) => c.Name);
  list(' Insecure Registries:', [...insecureNames, ...(registry?.InsecureRegistryCIDRs ?? [])]);
  list(' Registry Mirrors:', registry?.Mirrors);
  line(' Live Restore Enabled:', info.LiveRestoreEnabled ?? false);
  return lines;
}

const info: Command = {
  usage: '[OPTIONS]',
  flags: FORMAT_FLAG,
  maxArgs: 0,
  async run(ctx, flags) {
    const json = jsonFormat(flags.format);
    const client = new ApiClient(ctx.connection);
    if (json) {
      const res = await client.request('GET', '/info');
      process.stdout.write(`${res.body.toString('utf8').trimEnd()}\n`);
      return 0;
    }
    const answer = await client.get<Info>('/info');
    process.stdout.write(`${serverLines(answer).join('\n')}\n\n`);
    for (const warning of answer.Warnings ?? []) process.stderr.write(`${warning}\n`);
    return 0;
  },
};

export default info;
