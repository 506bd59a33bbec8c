// An exec as the shim spec: the container's namespaces and cgroups to join, and the process with
// the container's environment, user, capabilities, no_new_privs and rlimits (docker exec's
// rules: its own Env over the container's, its own User and WorkingDir when given, every
// capability kapald has with Privileged). Pure data; `kapal-shim exec` acts.

import type { Container } from '../domain/container.js';
import type { ExecProcess } from '../domain/exec.js';
import { capabilitiesOf, namespacesOf, noNewPrivileges, processEnv, rlimitsOf } from './container-spec.js';
import type { ExecSpec } from './shim/spec.js';
import type { UsernsRemap } from './userns.js';
import { containerSeccomp } from './seccomp/container-seccomp.js';

export interface ExecInputs {
  /** The container's pid 1 and its shim (the host's view). */
  pid: number;
  shimPid: number;
  cgroups: string[];
  availableCaps: number[];
  stdin: boolean;
  userns?: UsernsRemap | undefined;
}

export function buildExecSpec(c: Container, p: ExecProcess, io: ExecInputs): ExecSpec {
  const hc = c.hostConfig;
  const caps = p.privileged ? io.availableCaps : capabilitiesOf(c, io.availableCaps);
  return {
    joinPid: io.pid,
    joinParent: io.shimPid,
    namespaces: namespacesOf(c),
    cgroups: io.cgroups,
    env: processEnv(c, { env: p.env, tty: p.tty }),
    args: p.cmd,
    cwd: p.workingDir || '/',
    user: p.user,
    groupAdd: hc.GroupAdd ?? [],
    caps,
    noNewPrivileges: noNewPrivileges(c),
    rlimits: rlimitsOf(hc.Ulimits),
    // The container's own filter, resolved for the container's capabilities (moby: exec
    // --privileged widens the capabilities, not the profile).
    seccomp: containerSeccomp(c, capabilitiesOf(c, io.availableCaps)),
    tty: p.tty,
    stdin: io.stdin,
    consoleSize: p.consoleSize,
    uidMap: io.userns?.uidMap ?? [],
    gidMap: io.userns?.gidMap ?? [],
  };
}
