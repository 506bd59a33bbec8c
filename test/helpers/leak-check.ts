// The leak checker for tests: bin/kapal-leak-check against a test daemon (as a user runs it), and
// the same check in-process, which every test daemon's teardown runs while the daemon is still up.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkLeaks, type Finding } from '../../src/check/leaks.js';
import { readConfigFile, resolveConfig } from '../../src/daemon/config.js';
import { parseFlags } from '../../src/daemon/flags.js';
import { sleepSync } from '../../src/runtime/cgroups/driver.js';
import type { TestDaemon } from './daemon.js';

export const LEAK_CHECK = fileURLToPath(new URL('../../bin/kapal-leak-check', import.meta.url));

export function leakCheck(d: Pick<TestDaemon, 'dataRoot' | 'execRoot' | 'configFile' | 'cgroupParent'>): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [LEAK_CHECK, '--data-root', d.dataRoot, '--exec-root', d.execRoot, '--config-file', d.configFile, '--cgroup-parent', d.cgroupParent], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What kapald started with `args` (its flags) leaves unaccounted for. A difference that goes
 * away within about two seconds was an operation finishing (a container's exit being recorded),
 * not a leak: only what stays is returned.
 */
export function persistentLeaks(args: string[]): Finding[] {
  const flags = parseFlags(args);
  const config = resolveConfig(flags.configFile, readConfigFile(flags.configFile, true), flags.values);
  let findings = checkLeaks(config).findings;
  for (let i = 0; i < 10 && findings.length > 0; i++) {
    sleepSync(200);
    findings = checkLeaks(config).findings;
  }
  return findings;
}
