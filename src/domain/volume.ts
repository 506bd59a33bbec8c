// Volumes as kapal knows them (docker's local driver) and the mounts a container asks for: binds,
// volumes (named or anonymous) and tmpfs, parsed from docker's three ways of saying it
// (HostConfig.Binds, HostConfig.Mounts, HostConfig.Tmpfs) and the image's or the request's
// Config.Volumes, with moby's checks and words.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { invalidArgument } from './errors.js';

export interface Volume {
  name: string;
  driver: 'local';
  labels: Record<string, string>;
  options: Record<string, string>;
  anonymous: boolean;
  createdAt: string;
}

export type ContainerMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean; /** -v creates a missing source; --mount refuses it */ create: boolean; propagation: string }
  | { type: 'volume'; name: string; target: string; readonly: boolean; anonymous: boolean; noCopy: boolean }
  | { type: 'tmpfs'; target: string; flags: string[]; data: string };

/** Local volume names (moby's restrictedNamePattern). */
export const VALID_VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export const newVolumeName = (): string => randomBytes(32).toString('hex');

const TMPFS_FLAGS = new Set(['ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'diratime', 'nodiratime', 'relatime', 'norelatime', 'strictatime', 'sync', 'async', 'dirsync']);
const TMPFS_DATA = /^(size|mode|uid|gid|nr_inodes|nr_blocks|huge)=[A-Za-z0-9%]+$/;
const PROPAGATION = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

function checkTarget(target: string): string {
  if (!path.isAbsolute(target)) throw invalidArgument(`invalid mount config: mount path must be absolute: ${target}`);
  const clean = path.posix.normalize(target);
  if (clean === '/') throw invalidArgument('invalid specification: destination can\'t be \'/\'');
  return clean.replace(/\/$/, '');
}

/** docker's tmpfs options: flags and size/mode data; noexec,nosuid,nodev unless the options say otherwise. */
export function tmpfsOptions(options: string): { flags: string[]; data: string } {
  const flags = new Map([['exec', 'noexec'], ['suid', 'nosuid'], ['dev', 'nodev']].map(([k, v]) => [k!, v!]));
  const extra: string[] = [];
  const data: string[] = [];
  for (const opt of options.split(',').map((o) => o.trim()).filter(Boolean)) {
    if (TMPFS_DATA.test(opt)) data.push(opt);
    else if (TMPFS_FLAGS.has(opt)) {
      const key = opt.replace(/^no/, '');
      if (flags.has(key)) flags.set(key, opt);
      else extra.push(opt);
    } else throw invalidArgument(`invalid tmpfs option ${JSON.stringify(opt)}`);
  }
  return { flags: [...flags.values(), ...extra], data: data.join(',') };
}

/** `-v SRC:DST[:OPTS]`: an absolute SRC is a bind, a name a named volume. */
function parseBind(spec: string): ContainerMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw invalidArgument(`invalid volume specification: '${spec}'`);
  const [source, target, opts = ''] = parts as [string, string, string?];
  const modes = opts.split(',').filter(Boolean);
  for (const m of modes) if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', ...PROPAGATION].includes(m)) throw invalidArgument(`invalid mode: ${m}`);
  const readonly = modes.includes('ro');
  const dst = checkTarget(target);
  if (path.isAbsolute(source)) return { type: 'bind', source: path.posix.normalize(source), target: dst, readonly, create: true, propagation: modes.find((m) => PROPAGATION.has(m)) ?? 'rprivate' };
  if (!VALID_VOLUME_NAME.test(source)) {
    throw invalidArgument(`create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { type: 'volume', name: source, target: dst, readonly, anonymous: false, noCopy: modes.includes('nocopy') };
}

export interface MountRequest {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string } | null; Subpath?: string } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

/** `--mount type=...`: moby's checks and words. */
function parseMount(m: MountRequest): ContainerMount {
  const type = m.Type ?? '';
  if (!m.Target) throw invalidArgument(`invalid mount config for type "${type}": field Target must not be empty`);
  const target = checkTarget(m.Target);
  switch (type) {
    case 'bind': {
      if (!m.Source) throw invalidArgument('invalid mount config for type "bind": field Source must not be empty');
      if (!path.isAbsolute(m.Source)) throw invalidArgument(`invalid mount config for type "bind": invalid mount path: '${m.Source}' mount path must be absolute`);
      const propagation = m.BindOptions?.Propagation || 'rprivate';
      if (!PROPAGATION.has(propagation)) throw invalidArgument(`invalid mount config for type "bind": invalid propagation mode ${propagation}`);
      return { type: 'bind', source: path.posix.normalize(m.Source), target, readonly: m.ReadOnly === true, create: m.BindOptions?.CreateMountpoint === true, propagation };
    }
    case 'volume': {
      if (m.VolumeOptions?.DriverConfig?.Name && m.VolumeOptions.DriverConfig.Name !== 'local') throw invalidArgument(`invalid mount config for type "volume": plugin "${m.VolumeOptions.DriverConfig.Name}" not found`);
      if (m.Source && !VALID_VOLUME_NAME.test(m.Source)) throw invalidArgument(`invalid mount config for type "volume": invalid volume name "${m.Source}"`);
      if (m.VolumeOptions?.Subpath) throw invalidArgument('invalid mount config for type "volume": volume subpaths are not supported by kapal yet');
      return { type: 'volume', name: m.Source || newVolumeName(), target, readonly: m.ReadOnly === true, anonymous: !m.Source, noCopy: m.VolumeOptions?.NoCopy === true };
    }
    case 'tmpfs': {
      if (m.Source) throw invalidArgument('invalid mount config for type "tmpfs": field Source must be empty');
      const opts = [m.ReadOnly ? 'ro' : '', m.TmpfsOptions?.SizeBytes ? `size=${m.TmpfsOptions.SizeBytes}` : '', m.TmpfsOptions?.Mode ? `mode=${m.TmpfsOptions.Mode.toString(8)}` : ''];
      return { type: 'tmpfs', target, ...tmpfsOptions(opts.filter(Boolean).join(',')) };
    }
    default:
      throw invalidArgument(`invalid mount config for type "${type}": mount type unknown`);
  }
}

/**
 * Every mount of a new container, in docker's precedence: Binds and Mounts and Tmpfs first, then
 * an anonymous volume for each Config.Volumes path nothing else covers. Two mounts on one path are
 * moby's "Duplicate mount point".
 */
export function containerMounts(req: { binds?: string[] | null; mounts?: MountRequest[] | null; tmpfs?: Record<string, string> | null; volumes?: Record<string, object> | null }): ContainerMount[] {
  const out: ContainerMount[] = [...(req.binds ?? []).map(parseBind), ...(req.mounts ?? []).map(parseMount)];
  for (const [target, options] of Object.entries(req.tmpfs ?? {})) out.push({ type: 'tmpfs', target: checkTarget(target), ...tmpfsOptions(options) });
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.target)) throw invalidArgument(`Duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
  for (const target of Object.keys(req.volumes ?? {})) {
    const t = checkTarget(target);
    if (!seen.has(t)) {
      out.push({ type: 'volume', name: newVolumeName(), target: t, readonly: false, anonymous: true, noCopy: false });
      seen.add(t);
    }
  }
  return out;
}
