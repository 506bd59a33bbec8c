// The config of an image made by `docker import`: one layer, the `message` as comment, and the
// Dockerfile instructions of `changes` (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL,
// USER, VOLUME, WORKDIR) applied as moby's builder applies them.

import { invalidArgument } from '../domain/errors.js';
import type { ContainerDefaults, ImageConfig } from '../domain/image.js';

/** JSON form (["a","b"]) or shell form (a b → ["/bin/sh","-c","a b"]). */
function commandOf(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) return parsed;
    } catch {
      // shell form after all, as in moby
    }
  }
  return ['/bin/sh', '-c', trimmed];
}

/** KEY=VALUE pairs (quotes allowed) or the legacy "KEY VALUE" form. */
function pairsOf(instruction: string, args: string): [string, string][] {
  const tokens = args.match(/(?:[^\s"']+|"(?:\\.|[^"\\])*"|'[^']*')+/g) ?? [];
  if (tokens.length > 0 && !tokens[0]!.includes('=')) {
    const space = args.trim().search(/\s/);
    if (space < 0) throw invalidArgument(`${instruction} requires at least one argument`);
    return [[args.trim().slice(0, space), args.trim().slice(space).trim()]];
  }
  return tokens.map((token) => {
    const eq = token.indexOf('=');
    if (eq <= 0) throw invalidArgument(`${instruction} names can not be blank`);
    return [token.slice(0, eq), token.slice(eq + 1).replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1')];
  });
}

export function applyChanges(config: ContainerDefaults, changes: string[]): void {
  for (const change of changes) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(change);
    if (!m) continue;
    const instruction = m[1]!.toUpperCase();
    const args = m[2]!;
    switch (instruction) {
      case 'CMD':
        config.Cmd = commandOf(args);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandOf(args);
        break;
      case 'ENV': {
        const env = [...(config.Env ?? [])];
        for (const [k, v] of pairsOf(instruction, args)) {
          const i = env.findIndex((e) => e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        config.Env = env;
        break;
      }
      case 'LABEL':
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairsOf(instruction, args)) };
        break;
      case 'EXPOSE':
        config.ExposedPorts = { ...(config.ExposedPorts ?? {}) };
        for (const port of args.trim().split(/\s+/).filter(Boolean)) config.ExposedPorts[port.includes('/') ? port : `${port}/tcp`] = {};
        break;
      case 'VOLUME':
        config.Volumes = { ...(config.Volumes ?? {}) };
        for (const v of args.trim().startsWith('[') ? commandOf(args) : args.trim().split(/\s+/)) config.Volumes[v] = {};
        break;
      case 'USER':
        config.User = args.trim();
        break;
      case 'WORKDIR':
        config.WorkingDir = args.trim();
        break;
      case 'STOPSIGNAL':
        config.StopSignal = args.trim();
        break;
      case 'ONBUILD':
        config.OnBuild = [...((config.OnBuild as string[] | undefined) ?? []), args.trim()];
        break;
      default:
        throw invalidArgument(`${m[1]} is not a valid change command`);
    }
  }
}

export function importConfig(opts: { diffId: string; architecture: string; message: string; changes: string[]; now: Date }): ImageConfig {
  const created = opts.now.toISOString();
  const defaults: ContainerDefaults = {};
  applyChanges(defaults, opts.changes);
  return {
    architecture: opts.architecture,
    comment: opts.message,
    config: defaults,
    created,
    history: [{ created, comment: opts.message }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [opts.diffId] },
  };
}
