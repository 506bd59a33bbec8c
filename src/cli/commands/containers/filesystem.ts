// A container's files: cp in both directions (tar(1) on this side, docker's rules for names),
// export, diff, commit.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, readdirSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from '../../command.js';
import { DaemonError } from '../../client.js';
import { list, str } from '../../flags.js';
import { enc } from './each.js';

/** `c:/path` → ['c', '/path']; a local path (even with a colon after a slash) → undefined. */
function containerPath(arg: string): [string, string] | undefined {
  const i = arg.indexOf(':');
  if (i <= 0 || arg.slice(0, i).includes('/')) return undefined;
  return [arg.slice(0, i), arg.slice(i + 1)];
}

/** Runs tar with `args`, `input` on its stdin or its stdout into `output`. */
function tar(args: string[], io: { input?: NodeJS.ReadableStream; output?: NodeJS.WritableStream }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', args, { stdio: [io.input ? 'pipe' : 'ignore', io.output ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    if (io.input) io.input.pipe(child.stdin!);
    if (io.output) child.stdout!.pipe(io.output);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar: ${err.trim() || `exit ${code}`}`))));
  });
}

/** A sed expression for tar --transform that renames the leading `from` to `to`. */
const rename = (from: string, to: string) => `s|^${from.replace(/[\\|.*^$[\]]/g, '\\$&')}|${to.replace(/[\\|&]/g, '\\$&')}|`;

async function copyFrom(ctx: Parameters<Command['run']>[0], container: string, src: string, dest: string): Promise<void> {
  const res = await ctx.api.stream('GET', `/containers/${enc(container)}/archive?path=${enc(src)}`);
  if (dest === '-') return pipeline(res, process.stdout);
  const base = path.posix.basename(src.replace(/\/+$/, '')) || '.';
  if (existsSync(dest) && statSync(dest).isDirectory()) return tar(['-x', '--no-same-owner', '-C', dest], { input: res });
  // A new name: unpacked beside it, then renamed, as docker cp does.
  const parent = path.dirname(path.resolve(dest));
  if (!existsSync(parent)) throw new Error(`no such directory: ${parent}`);
  const tmp = mkdtempSync(path.join(parent, '.kapal-cp-'));
  try {
    await tar(['-x', '--no-same-owner', '-C', tmp], { input: res });
    const entry = readdirSync(tmp)[0] ?? base;
    renameSync(path.join(tmp, entry), dest);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function copyTo(ctx: Parameters<Command['run']>[0], src: string, container: string, dest: string): Promise<void> {
  const put = (dir: string, body: NodeJS.ReadableStream) =>
    ctx.api.stream('PUT', `/containers/${enc(container)}/archive?path=${enc(dir)}`, { body: body as import('node:stream').Readable, contentType: 'application/x-tar' }).then((r) => r.resume());
  if (src === '-') return void (await put(dest, process.stdin));
  if (!existsSync(src)) throw new Error(`lstat ${path.resolve(src)}: no such file or directory`);
  const abs = path.resolve(src);
  const base = path.basename(abs);
  let destIsDir = false;
  try {
    const head = await ctx.api.request('HEAD', `/containers/${enc(container)}/archive?path=${enc(dest)}`);
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat'] ?? ''), 'base64').toString() || '{}') as { mode?: number };
    destIsDir = ((stat.mode ?? 0) & 0x80000000) !== 0; // Go's os.ModeDir
  } catch (err) {
    if (!(err instanceof DaemonError && err.status === 404)) throw err;
  }
  const target = destIsDir ? dest : path.posix.dirname(dest);
  const args = ['-c', '-C', path.dirname(abs), ...(destIsDir ? [] : [`--transform=${rename(base, path.posix.basename(dest))}`]), base];
  const child = spawn('tar', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  // Piped at once: tar may be done before the request is, and a child's stdout left unread
  // until then loses its end (about one copy in ten here).
  const body = new PassThrough();
  child.stdout.pipe(body);
  const failed = new Promise<never>((_, reject) => child.on('close', (code) => code !== 0 && reject(new Error(`tar exited ${code}`))));
  failed.catch(() => {}); // a tar that fails after the answer came has nothing left to spoil
  await Promise.race([put(target, body), failed]);
}

export const cp: Command = {
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tkapal cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  flags: {
    archive: { short: 'a', help: 'Archive mode (copy all uid/gid information)' },
    'follow-link': { short: 'L', help: 'Always follow symbol link in SRC_PATH' },
    quiet: { short: 'q', help: 'Suppress progress output during copy' },
  },
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, _flags, [src, dest]) {
    const from = containerPath(src!);
    const to = containerPath(dest!);
    if (from && to) throw new Error('copying between containers is not supported');
    if (!from && !to) throw new Error('must specify at least one container source');
    if (from) await copyFrom(ctx, from[0], from[1], dest!);
    else await copyTo(ctx, src!, to![0], to![1]);
    return 0;
  },
};

export const exportFs: Command = {
  usage: '[OPTIONS] CONTAINER',
  flags: { output: { short: 'o', arg: 'string', help: 'Write to a file, instead of STDOUT' } },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, flags, [name]) {
    const file = str(flags, 'output');
    if (!file && process.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.api.stream('GET', `/containers/${enc(name!)}/export`);
    await pipeline(res, file ? createWriteStream(file) : process.stdout);
    return 0;
  },
};

export const diff: Command = {
  usage: 'CONTAINER',
  flags: {},
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, _flags, [name]) {
    const changes = (await ctx.api.json<{ Path: string; Kind: number }[] | null>('GET', `/containers/${enc(name!)}/changes`)) ?? [];
    for (const c of changes) process.stdout.write(`${'CAD'[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
};

export const commit: Command = {
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  flags: {
    author: { short: 'a', arg: 'string', help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    change: { short: 'c', arg: 'list', multi: true, help: 'Apply Dockerfile instruction to the created image' },
    message: { short: 'm', arg: 'string', help: 'Commit message' },
    pause: { short: 'p', help: 'Pause container during commit', default: 'true' },
  },
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, flags, [name, ref]) {
    const q = new URLSearchParams({ container: name! });
    if (ref) {
      const slash = ref.lastIndexOf('/');
      const colon = ref.lastIndexOf(':');
      if (colon > slash) {
        q.set('repo', ref.slice(0, colon));
        q.set('tag', ref.slice(colon + 1));
      } else q.set('repo', ref);
    }
    for (const c of list(flags, 'change')) q.append('changes', c);
    const m = str(flags, 'message');
    if (m) q.set('comment', m);
    const a = str(flags, 'author');
    if (a) q.set('author', a);
    if (flags.pause === false) q.set('pause', '0');
    const res = await ctx.api.json<{ Id: string }>('POST', `/commit?${q}`, {});
    process.stdout.write(`${res.Id}\n`);
    return 0;
  },
};
