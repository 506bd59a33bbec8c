// The benchmark harness: a private kapald on its own directories and socket, timing with
// warm-up excluded, and the machine facts every result is reported with.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { killContainers, removeCgroupParent } from '../test/helpers/leftovers.js';
import { bridgesWithAlias } from '../src/runtime/network/links.js';
import { deleteTableSync } from '../src/runtime/network/nftables.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface BenchDaemon {
  dir: string;
  socket: string;
  pid: number;
  request(method: string, url: string, body?: Buffer, headers?: Record<string, string>): Promise<{ status: number; body: Buffer }>;
  stop(): Promise<void>;
}

const running = new Set<BenchDaemon>();
const cleanups = new Set<() => unknown>();

/** Runs `fn`, then `cleanup`, which also runs if the benchmark is interrupted meanwhile. */
export async function withCleanup<T>(cleanup: () => unknown, fn: () => Promise<T>): Promise<T> {
  cleanups.add(cleanup);
  try {
    return await fn();
  } finally {
    cleanups.delete(cleanup);
    await cleanup();
  }
}

/** An interrupted run: stop every daemon (with its containers and cgroups), undo the rest. */
export async function cleanUpAll(): Promise<void> {
  for (const d of [...running]) await d.stop();
  for (const cleanup of [...cleanups]) await cleanup();
}

/** Each bench daemon's own bridge, subnet and nftables table, removed again by stop(). */
let networkSlot = 0;

export async function startDaemon(name: string): Promise<BenchDaemon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `kapal-bench-${name}-`));
  const socket = path.join(dir, 'kapal.sock');
  const n = networkSlot++ % 64;
  const net = { bridge: `kbench${n}`, bip: `10.96.${n * 4}.1/22`, 'nft-table': `kapal_bench${n}`, 'default-address-pools': [{ base: '10.97.0.0/16', size: 24 }] };
  writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify(net));
  // Containers' cgroups go below a parent of this run's own, removed again by stop().
  const cgroupParent = `kapal-bench-${path.basename(dir)}`;
  const proc: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/kapald'), '-H', `unix://${socket}`, '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--config-file', path.join(dir, 'daemon.json'), '--cgroup-parent', cgroupParent],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const request = (method: string, url: string, body?: Buffer, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = http.request({ socketPath: socket, method, path: url, headers: body ? { 'Content-Length': String(body.length), ...headers } : headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const daemon: BenchDaemon = {
    dir,
    socket,
    pid: proc.pid!,
    request,
    async stop() {
      running.delete(daemon);
      proc.kill('SIGTERM');
      await exited;
      await killContainers(path.join(dir, 'exec'));
      await removeCgroupParent(cgroupParent);
      for (const bridge of new Set([...bridgesWithAlias(`kapal ${net['nft-table']}`), net.bridge])) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      deleteTableSync(net['nft-table']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(daemon); // before the first await: an interrupt from here on cleans it up
  for (let i = 0; ; i++) {
    try {
      if ((await request('GET', '/_ping')).status === 200) break;
    } catch {
      if (i > 300) {
        await daemon.stop();
        throw new Error('kapald did not start');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return daemon;
}

const json = { 'Content-Type': 'application/json' };

export async function createContainer(d: BenchDaemon, cmd: string[], hostConfig: Record<string, unknown> = {}): Promise<string> {
  const res = await d.request('POST', '/containers/create', Buffer.from(JSON.stringify({ Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none', ...hostConfig } })), json);
  if (res.status !== 201) throw new Error(`create: ${res.status} ${res.body}`);
  return JSON.parse(res.body.toString()).Id as string;
}

export async function startContainer(d: BenchDaemon, id: string): Promise<void> {
  const res = await d.request('POST', `/containers/${id}/start`);
  if (res.status !== 204) throw new Error(`start: ${res.status} ${res.body}`);
}

export const rssKiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** Runs `fn` warm-up + runs times; `reset` between runs is not timed. */
export async function measure(runs: number, fn: () => Promise<void>, reset: () => Promise<void> = async () => {}, warmup = 1): Promise<Stats> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    await reset();
    const start = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (i >= warmup) times.push(ms);
  }
  return statsOf(times);
}

export function statsOf(times: number[]): Stats {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

export function machineFacts() {
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const cgroup = /\s\/sys\/fs\/cgroup\s.*\s-\scgroup2\s/.test(mountinfo) ? '2' : '1';
  return { cores: os.availableParallelism(), memory: os.totalmem(), kernel: os.release(), cgroup, node: process.version, cpu: os.cpus()[0]?.model ?? '' };
}
