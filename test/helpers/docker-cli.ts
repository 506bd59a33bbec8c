// The real docker CLI pointed at a test kapald: DOCKER_HOST names the test socket and
// DOCKER_CONFIG a temp dir, so the CLI never touches a real engine or ~/.docker.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, type TestDaemon } from './daemon.js';

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
