// Starts a real kapald from the built checkout on private directories and a private socket, and
// makes sure it is gone (and its directories removed) when the test ends, pass or fail.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, type RequestOptions, type Response } from './http.js';
import { onExit } from 'signal-exit';
import { killContainers, removeCgroupParent, unmountBelow } from './leftovers.js';
import { persistentLeaks } from './leak-check.js';
import type { Finding } from '../../src/check/leaks.js';
import { networkSlotFor } from './network-slot.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KAPALD = path.join(ROOT, 'bin/kapald');
export const KAPAL = path.join(ROOT, 'bin/kapal');

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface DaemonOptions {
  /** Extra kapald flags, after the private -H/--data-root/--exec-root/--config-file. */
  args?: string[];
  /** daemon.json contents; {} by default so /etc/kapal/daemon.json never leaks into a test. */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Replaces the private defaults entirely (for tests of flag handling). */
  rawArgs?: string[];
  /** The cgroup parent (below the test's own cgroup); private and unique by default. */
  cgroupParent?: string;
  dir?: string;
  /**
   * Whether the teardown runs the leak checker while the daemon is still up (default: yes, unless
   * rawArgs replace the daemon's flags). Only for tests that leave an inconsistency on purpose.
   */
  leakCheck?: boolean;
}

export interface TestDaemon {
  dir: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  configFile: string;
  cgroupParent: string;
  proc: ChildProcess;
  output(): string;
  request(method: string, urlPath: string, opts?: RequestOptions): Promise<Response>;
  /** Sends a signal and waits for the exit; resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited: Promise<number | string>;
}

export function makeTempDir(t: Teardown, name: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `kapal-test-${name}-`));
  t.teardown(() => {
    unmountBelow(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/kapald.js'))) throw new Error('kapal is not built: run `npm run build` first');
}

/** Spawns kapald without waiting for it (for tests of failing starts). */
/**
 * Clean-ups of daemons whose teardown has not run yet. When tap times a file out it kills the
 * process with SIGALRM and no teardown runs; signal-exit (tap's own way to see that) runs these
 * synchronously first, on a normal exit too.
 */
const unfinished = new Set<() => void>();
onExit(() => {
  for (const cleanUp of [...unfinished]) cleanUp();
});

export function spawnDaemon(t: Teardown, name: string, opts: DaemonOptions = {}): TestDaemon {
  assertBuilt();
  const dir = opts.dir ?? makeTempDir(t, name);
  const socket = path.join(dir, 'kapal.sock');
  const dataRoot = path.join(dir, 'data');
  const execRoot = path.join(dir, 'exec');
  const configFile = path.join(dir, 'daemon.json');
  const cgroupParent = opts.cgroupParent ?? `kapal-test-${path.basename(dir)}`;
  // The network resources go in daemon.json unless the test names them itself.
  const slot = networkSlotFor(dir);
  // A key in opts.config, even as undefined (to leave it out), or a flag, replaces the slot's.
  const named = (key: string) => Object.hasOwn(opts.config ?? {}, key) || (opts.args ?? []).some((a) => a === `--${key}` || a.startsWith(`--${key}=`));
  const networkConfig = Object.fromEntries(Object.entries(slot.config).filter(([key]) => !named(key) && !(key === 'bridge' && (opts.args ?? []).includes('-b'))));
  writeFileSync(configFile, JSON.stringify({ ...networkConfig, ...(opts.config ?? {}) }));
  const args = opts.rawArgs ?? [
    '-H', `unix://${socket}`,
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '--config-file', configFile,
    '--cgroup-parent', cgroupParent,
    ...(opts.args ?? []),
  ];
  const proc = spawn(process.execPath, [KAPALD, ...args], {
    env: { ...process.env, NOTIFY_SOCKET: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  // Containers outlive kapald by design; a test's must not outlive the test, also when tap cuts
  // the file short (a timeout) and teardowns do not run: then the process's exit cleans up.
  const cleanUp = () => {
    unfinished.delete(onExit);
    killContainers(execRoot);
    unmountBelow(dataRoot);
    removeCgroupParent(cgroupParent);
    slot.release();
  };
  const onExit = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    cleanUp();
  };
  unfinished.add(onExit);
  t.teardown(async () => {
    let leaks: Finding[] = [];
    if (proc.exitCode === null && proc.signalCode === null) {
      if (opts.leakCheck !== false && !opts.rawArgs) leaks = persistentLeaks(args);
      proc.kill('SIGKILL');
      await exited;
    }
    cleanUp();
    // Not a throw: tap would skip the teardowns registered before this one (the daemon's
    // directory, a test's loop device). The file fails through its exit status instead.
    if (leaks.length > 0) {
      process.stderr.write(`kapal-leak-check found what kapald (${dir}) left or lost:\n${leaks.map((f) => `  ${f.kind} ${f.what}: ${f.why}`).join('\n')}\n`);
      process.exitCode = 1;
    }
  });
  return {
    dir,
    socket,
    dataRoot,
    execRoot,
    configFile,
    cgroupParent,
    proc,
    output: () => out,
    request: (method, urlPath, ropts) => request(socket, method, urlPath, ropts),
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    exited,
  };
}

/** Waits until `socket` answers /_ping; throws with the daemon's output if it exits first. */
export async function waitForPing(d: Pick<TestDaemon, 'socket' | 'exited' | 'output'>, timeoutMs = 15_000): Promise<void> {
  let exitedWith: number | string | undefined;
  void d.exited.then((c) => (exitedWith = c));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exitedWith !== undefined) throw new Error(`kapald exited with ${exitedWith} before answering:\n${d.output()}`);
    try {
      const res = await request(d.socket, 'GET', '/_ping');
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`kapald did not answer on ${d.socket} within ${timeoutMs} ms:\n${d.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts kapald and waits until it serves. */
export async function startDaemon(t: Teardown, name: string, opts: DaemonOptions = {}): Promise<TestDaemon> {
  const d = spawnDaemon(t, name, opts);
  await waitForPing(d);
  return d;
}
