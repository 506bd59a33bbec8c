// Starts one kapal-shim, for a container (`run`) or for an exec in one (`exec`), and speaks the
// start channel (native/shim-protocol.h): wait for SHIM_READY, let the caller connect its clients,
// send SHIM_GO, then learn the pid or the error. The shim is detached (its own session) so it
// outlives kapald.

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import path from 'node:path';
import { FrameReader, ShimStartMsg, encodeFrame, type Frame } from './protocol.js';
import { writeSpec } from './spec.js';
import { installPath } from '../../install-root.js';

export const SHIM_PATH = installPath('native/kapal-shim');

/** How long a shim may take from spawn to exec before kapald gives up on it. */
const START_TIMEOUT_MS = 30_000;

/** The container's process could not be started; `message` is in moby's words. */
export class ShimStartError extends Error {}

export interface LaunchResult {
  pid: number;
  shimPid: number;
}

export async function launchShim(opts: {
  shimPath?: string;
  mode: 'run' | 'exec';
  stateDir: string;
  /** encodeSpec() or encodeExecSpec(). */
  spec: Buffer;
  /**
   * Runs between SHIM_READY and SHIM_GO with the waiting child's pid: connect everything that
   * must not miss output, move network interfaces into its namespace.
   */
  beforeGo: (childPid: number) => Promise<void>;
}): Promise<LaunchResult> {
  mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
  writeSpec(path.join(opts.stateDir, 'spec'), opts.spec);
  const logFd = openSync(path.join(opts.stateDir, 'shim.log'), 'a', 0o600);
  let child;
  try {
    child = spawn(opts.shimPath ?? SHIM_PATH, [opts.mode, opts.stateDir], { detached: true, stdio: ['ignore', 'ignore', logFd, 'pipe'] });
  } finally {
    closeSync(logFd);
  }
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(`kapal-shim could not be started: ${err.message}`))));
  spawnFailed.catch(() => {});
  const channel = child.stdio[3] as Socket | null;
  if (!channel) throw new Error('kapal-shim could not be started: no start channel');
  const shimLog = () => {
    try {
      return readFileSync(path.join(opts.stateDir, 'shim.log'), 'utf8').trim().split('\n').pop() ?? '';
    } catch {
      return '';
    }
  };
  try {
    const frames = frameQueue(channel);
    const ready = await Promise.race([frames.next(), spawnFailed]);
    if (ready.type !== ShimStartMsg.SHIM_READY || ready.payload.length !== 4) throw unexpected(ready, shimLog());
    await opts.beforeGo(ready.payload.readUInt32BE(0));
    channel.write(encodeFrame(ShimStartMsg.SHIM_GO));
    const result = await frames.next();
    if (result.type === ShimStartMsg.SHIM_STARTED) return { pid: result.payload.readUInt32BE(0), shimPid: child.pid! };
    throw unexpected(result, shimLog());
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    throw err;
  } finally {
    channel.destroy();
    child.unref();
  }

  function unexpected(frame: Frame, log: string): Error {
    if (frame.type === ShimStartMsg.SHIM_FAILED) return new ShimStartError(frame.payload.toString('utf8'));
    return new Error(`kapal-shim: unexpected start message ${frame.type}${log ? `: ${log}` : ''}`);
  }
}

/** Frames from the start channel, one at a time; the channel closing or timing out rejects. */
function frameQueue(channel: Socket): { next(): Promise<Frame> } {
  const queue: Frame[] = [];
  let waiting: { resolve: (f: Frame) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  const reader = new FrameReader((f) => {
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w.resolve(f);
    } else queue.push(f);
  });
  const fail = (err: Error) => {
    failure ??= err;
    waiting?.reject(failure);
    waiting = undefined;
  };
  channel.on('data', (chunk: Buffer) => reader.push(chunk));
  channel.on('error', fail);
  channel.on('close', () => fail(new Error('kapal-shim exited during start')));
  const timer = setTimeout(() => fail(new Error(`kapal-shim did not start the container within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  timer.unref();
  channel.on('close', () => clearTimeout(timer));
  return {
    next: () => {
      const f = queue.shift();
      if (f) return Promise.resolve(f);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
  };
}
