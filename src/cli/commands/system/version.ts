// kapal version: this client's build, then what GET /version says about the daemon. The client
// part prints even when the daemon cannot be reached, and the command then fails, as docker's does.

import { readBuildInfo } from '../../../daemon/build-info.js';
import { API_VERSION } from '../../../domain/api-version.js';
import { ApiClient } from '../../client.js';
import type { Command } from '../../command.js';
import { jsonFormat, reportError, FORMAT_FLAG } from '../../output.js';

interface ClientVersion {
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  GitCommit: string;
  NodeVersion: string;
  Os: string;
  Arch: string;
  BuildTime: string;
}

interface ServerVersion {
  Platform?: { Name?: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  BuildTime?: string;
}

/** Node's process.arch in Go's GOARCH spelling, which is what docker prints. */
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le' };

function clientVersion(): ClientVersion {
  const build = readBuildInfo();
  return {
    Version: build.version,
    ApiVersion: API_VERSION,
    DefaultAPIVersion: API_VERSION,
    GitCommit: build.gitCommit,
    NodeVersion: process.versions.node,
    Os: process.platform,
    Arch: GOARCH[process.arch] ?? process.arch,
    BuildTime: build.buildTime,
  };
}

/** The one line of `kapal --version`, worded like `docker --version`. */
export function shortVersion(): string {
  const build = readBuildInfo();
  return `kapal version ${build.version}, build ${build.gitCommit}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 3339 time in Go's time.ANSIC layout ("Fri Sep 20 11:41:00 2024"), as docker shows Built. */
function ansic(iso: string | undefined): string {
  const d = new Date(iso ?? '');
  if (!iso || Number.isNaN(d.getTime())) return iso ?? '';
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${time} ${d.getUTCFullYear()}`;
}

/** Label/value rows aligned the way docker's tabwriter (min width 20, padding 1) aligns them. */
function rows(indent: string, pairs: [string, string | undefined][]): string[] {
  const width = Math.max(20, ...pairs.map(([label]) => indent.length + label.length + 2));
  return pairs.map(([label, value]) => `${`${indent}${label}:`.padEnd(width)}${value ?? ''}`.trimEnd());
}

function clientSection(c: ClientVersion): string[] {
  return [
    'Client:',
    ...rows(' ', [
      ['Version', c.Version],
      ['API version', c.ApiVersion],
      ['Node.js version', c.NodeVersion],
      ['Git commit', c.GitCommit],
      ['Built', ansic(c.BuildTime)],
      ['OS/Arch', `${c.Os}/${c.Arch}`],
    ]),
  ];
}

function serverSection(s: ServerVersion): string[] {
  const name = s.Platform?.Name;
  const lines = [`Server:${name ? ` ${name}` : ''}`];
  const components = s.Components ?? [{ Name: 'Engine', Version: s.Version, Details: {} }];
  for (const { Name, Version, Details = {} } of components) {
    lines.push(` ${Name}:`);
    if (Name === 'Engine') {
      lines.push(
        ...rows('  ', [
          ['Version', Version],
          ['API version', `${Details.ApiVersion ?? s.ApiVersion} (minimum version ${Details.MinAPIVersion ?? s.MinAPIVersion ?? ''})`],
          ['Git commit', Details.GitCommit ?? s.GitCommit],
          ['Built', ansic(Details.BuildTime ?? s.BuildTime)],
          ['OS/Arch', `${Details.Os ?? s.Os ?? ''}/${Details.Arch ?? s.Arch ?? ''}`],
          ['Kernel version', Details.KernelVersion ?? s.KernelVersion],
          ['Experimental', Details.Experimental ?? 'false'],
        ]),
      );
    } else {
      // docker lists a component's other details sorted by key.
      const details = Object.keys(Details).sort().map((key): [string, string] => [key, Details[key] ?? '']);
      lines.push(...rows('  ', [['Version', Version], ...details]));
    }
  }
  return lines;
}

const version: Command = {
  usage: '[OPTIONS]',
  flags: FORMAT_FLAG,
  maxArgs: 0,
  async run(ctx, flags) {
    const json = jsonFormat(flags.format);
    const client = clientVersion();
    let server: ServerVersion | undefined;
    let failure: unknown;
    try {
      server = await new ApiClient(ctx.connection).get<ServerVersion>('/version');
    } catch (err) {
      failure = err;
    }
    if (json) {
      process.stdout.write(`${JSON.stringify({ Client: client, Server: server ?? null })}\n`);
    } else {
      const lines = [...clientSection(client), ...(server ? ['', ...serverSection(server)] : [])];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return failure === undefined ? 0 : reportError(failure, 'kapal version --help');
  },
};

export default version;
