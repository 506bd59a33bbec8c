// The real docker CLI pointed at a test kapald: DOCKER_HOST names the test socket and
// DOCKER_CONFIG a temp dir, so the CLI never touches a real engine or ~/.docker.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, startDaemon, type TestDaemon } from './daemon.js';
import { loadBusybox } from './containers.js';

export const DOCKER = '/usr/local/bin/docker';
export const skipWithoutDocker = existsSync(DOCKER) ? false : `the docker CLI is not installed at ${DOCKER}`;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without any DOCKER_* the developer may have set, plus a private config dir. */
export function cleanEnv(configDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOCKER_')) env[k] = v;
  return { ...env, DOCKER_CONFIG: configDir, ...extra };
}

/** A bash runner (pipefail) with `docker` on PATH and DOCKER_HOST set to the daemon. */
export function dockerShell(t: { teardown(fn: () => unknown): void }, d: TestDaemon, cwd?: string): (script: string) => Promise<Run> {
  const env = cleanEnv(makeTempDir(t, 'docker-config'), { DOCKER_HOST: `unix://${d.socket}`, PATH: `${path.dirname(DOCKER)}:${process.env.PATH}` });
  return (script) =>
    new Promise<Run>((resolve) => {
      execFile('bash', ['-o', 'pipefail', '-c', script], { env, cwd, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
}

/** A daemon with busybox loaded, and a docker CLI shell pointed at it. */
export async function dockerSetup(t: Parameters<typeof startDaemon>[0], name: string): Promise<{ d: TestDaemon; sh: (script: string) => Promise<Run> }> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return { d, sh: dockerShell(t, d) };
}

/** Runs `script` and fails the test, with the daemon's output, when it does not exit 0. */
export async function succeeds(
  t: { fail(message: string, extra?: object): unknown },
  d: TestDaemon,
  sh: (script: string) => Promise<Run>,
  script: string,
): Promise<string> {
  const r = await sh(script);
  if (r.code !== 0) t.fail(`${script} exited ${r.code}`, { stderr: r.stderr, stdout: r.stdout, daemon: d.output().slice(-4000) });
  return r.stdout;
}
