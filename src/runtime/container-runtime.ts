// The runtime side of a container: its directories, cgroups and shim. The service decides what
// happens; this module does it on the machine (files, cgroups, spawning the shim) and never
// touches namespaces or mounts itself (the shim does).

import { chmodSync, chownSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Container } from '../domain/container.js';
import type { NetworkPlan } from '../domain/network.js';
import { checkLimits, limitsOf, type ResourceLimits } from '../domain/resources.js';
import { limitWarnings } from './cgroups/limits.js';
import { seccompProgram } from './seccomp/compile.js';
import { customDevices, deviceCgroupRules, type DeviceMapping } from './custom-devices.js';
import { networkStats, sampleV1, sampleV2, type StatsSample } from './cgroups/stats.js';
import { buildShimSpec } from './container-spec.js';
import { CAP_MKNOD, boundingCapabilities } from './capabilities.js';
import { containerFiles, writeNetworkFiles } from './container-files.js';
import type { ContainerLayout } from './container-layout.js';
import { availableParallelism } from 'node:os';
import type { CgroupDriver } from './cgroups/driver.js';
import { launchShim, ShimStartError, type LaunchResult } from './shim/launcher.js';
import { encodeExecSpec, encodeSpec, type BindSpec } from './shim/spec.js';
import { buildExecSpec } from './exec-spec.js';
import type { ExecProcess } from '../domain/exec.js';
import { connectShimSocket, readExitFile } from './shim/connection.js';
import type { ShimExit } from './shim/protocol.js';
import type { UsernsRemap } from './userns.js';
import { checkPropagation } from './host-mounts.js';
import { markTopDirectory } from './libc.js';
import { KapalError } from '../domain/errors.js';

/** The CPUs and memory nodes containers may use (kapald's cpuset), for moby's checks. */
function hostCpus(): { cpus: number; cpusetCpus: string; cpusetMems: string } {
  const read = (file: string, fallback: string) => {
    try {
      return readFileSync(file, 'utf8').trim() || fallback;
    } catch {
      return fallback;
    }
  };
  const cpus = availableParallelism();
  return { cpus, cpusetCpus: read('/sys/fs/cgroup/cpuset/cpuset.cpus', read('/sys/fs/cgroup/cpuset.cpus.effective', `0-${cpus - 1}`)), cpusetMems: read('/sys/fs/cgroup/cpuset/cpuset.mems', read('/sys/fs/cgroup/cpuset.mems.effective', '0')) };
}

/** A container's own mounts as the runtime takes them: volumes are binds of their directories. */
export type RuntimeMount =
  | { type: 'bind'; source: string; target: string; readonly: boolean; propagation?: string }
  | { type: 'volume'; source: string; target: string; readonly: boolean }
  | { type: 'tmpfs'; target: string; flags: string[]; data: string };

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Binds parents first (by depth, stable), so a mount inside another lands on top of it. */
const byDepth = (binds: BindSpec[]): BindSpec[] => [...binds].sort((a, b) => a.target.split('/').length - b.target.split('/').length);

/**
 * The container's own binds. In a user namespace volumes are idmapped (the container's root owns
 * what the host's root owns); binds of host paths are not, as with docker.
 */
function userBinds(mounts: RuntimeMount[], userns: boolean): BindSpec[] {
  return mounts.flatMap((m): BindSpec[] => {
    if (m.type === 'tmpfs') return [];
    if (m.type === 'volume') return [{ source: m.source, target: m.target, readonly: m.readonly, idmap: userns }];
    return [{ source: m.source, target: m.target, readonly: m.readonly, propagation: m.propagation }];
  });
}

/**
 * moby's checks for binds with propagation, before anything starts; in a user namespace the
 * container's mounts are slaves of the host's at best, so `shared` cannot be kept.
 */
function checkBindPropagation(mounts: RuntimeMount[], userns: boolean): void {
  for (const m of mounts) {
    if (m.type !== 'bind' || !m.propagation) continue;
    if (userns && m.propagation.endsWith('shared')) {
      throw new KapalError('Internal', `mount propagation ${m.propagation} of ${m.source} is not possible in a user namespace (--userns-remap): use rslave, or --userns host`);
    }
    checkPropagation(m.source, m.propagation);
  }
}

export interface RuntimeDeps {
  layout: ContainerLayout;
  cgroups: CgroupDriver;
  shimPath?: string;
  /** --userns-remap: every container runs in a user namespace with these maps. */
  userns?: UsernsRemap | undefined;
}

export class ContainerRuntime {
  /** kapald's bounding set, without CAP_MKNOD where the cgroups cannot confine devices. */
  private readonly availableCaps: number[];

  constructor(private readonly deps: RuntimeDeps) {
    this.availableCaps = boundingCapabilities().filter((c) => deps.cgroups.confinesDevices || c !== CAP_MKNOD);
    // With a user namespace the containers' roots are unprivileged host ids: they must be able to
    // pass through to their own directory (0710, group = the container's root group).
    mkdirSync(deps.layout.containersDir, { recursive: true, mode: 0o710 });
    chmodSync(deps.layout.containersDir, deps.userns ? 0o711 : 0o710);
    markTopDirectory(deps.layout.containersDir); // as the layers' staging directory (layer-store.ts)
    mkdirSync(deps.layout.statesDir, { recursive: true, mode: 0o700 });
  }

  /** The remapped root that owns what containers write (volumes), with --userns-remap. */
  get usernsOwner(): { rootUid: number; rootGid: number } | undefined {
    return this.deps.userns;
  }

  get usernsEnabled(): boolean {
    return this.deps.userns !== undefined;
  }

  /** The container's user namespace maps: kapald's --userns-remap unless it opted out (UsernsMode host). */
  private usernsOf(c: Pick<Container, 'hostConfig'>): UsernsRemap | undefined {
    return c.hostConfig.UsernsMode === 'host' ? undefined : this.deps.userns;
  }

  /** Why a container's capabilities differ from docker's defaults on this host, if they do. */
  get capabilityWarning(): string | undefined {
    return this.deps.cgroups.confinesDevices
      ? undefined
      : 'this host has no devices cgroup kapal can use (cgroup v2): containers run without CAP_MKNOD';
  }

  get layout(): ContainerLayout {
    return this.deps.layout;
  }

  /** The container's persistent directories, made at create so a bad data root fails early. */
  prepare(c: Pick<Container, 'id' | 'hostConfig'>): void {
    const id = c.id;
    const l = this.deps.layout;
    mkdirSync(l.dataDir(id), { mode: 0o710 });
    // The upper dir's mode becomes the mode of the container's "/": 0755 like any root directory
    // (the 0710 parent keeps other host users out).
    mkdirSync(l.upper(id), { mode: 0o755 });
    for (const dir of [l.work(id), l.rootfs(id)]) mkdirSync(dir, { mode: 0o700 });
    // With a user namespace the container's root owns its writable layer, as the host sees it.
    const root = this.usernsOf(c);
    if (root) {
      for (const dir of [l.upper(id), l.work(id)]) chownSync(dir, root.rootUid, root.rootGid);
      chownSync(l.dataDir(id), 0, root.rootGid);
    }
  }

  /** Validates what only the spec builder knows (capabilities, ulimits) without starting anything. */
  validate(c: Container): void {
    const l = this.deps.layout;
    const spec = buildShimSpec(c, { layers: [], rootfs: '', upper: '', work: '', cgroups: [], memoryCgroup: undefined, binds: [], logPath: l.logPath(c.id), availableCaps: this.availableCaps });
    if (spec.seccomp) seccompProgram(spec.seccomp); // a profile libseccomp refuses fails the create, not the start
    deviceCgroupRules(c.hostConfig.DeviceCgroupRules as string[] | null | undefined);
  }

  /**
   * Starts the container: cgroups, per-container files, spec, shim. `connect` receives sockets
   * connected before the process runs (attach clients, the monitor) as soon as the shim listens.
   */
  async start(
    c: Container,
    layers: string[],
    network: NetworkPlan | undefined,
    mounts: RuntimeMount[],
    connect: (connectOne: () => Promise<Socket>, childPid: number) => Promise<void>,
  ): Promise<LaunchResult> {
    const l = this.deps.layout;
    const stateDir = l.stateDir(c.id);
    checkBindPropagation(mounts, this.usernsOf(c) !== undefined);
    rmSync(stateDir, { recursive: true, force: true });
    const deviceRules = [
      ...customDevices(c.hostConfig.Devices as DeviceMapping[] | null | undefined).rules,
      ...deviceCgroupRules(c.hostConfig.DeviceCgroupRules as string[] | null | undefined),
    ];
    const cg = this.deps.cgroups.create(c.id, { privileged: c.hostConfig.Privileged, limits: limitsOf(c.hostConfig), deviceRules });
    try {
      const binds = containerFiles(l, c.id, {
        hostname: c.config.Hostname,
        hostNetwork: c.hostConfig.NetworkMode === 'host',
        owner: this.usernsOf(c),
        hostsEntries: network?.hostsEntries ?? [],
        nameservers: network?.nameservers,
      });
      const spec = buildShimSpec(c, {
        layers,
        rootfs: l.rootfs(c.id),
        upper: l.upper(c.id),
        work: l.work(c.id),
        cgroups: cg.dirs,
        memoryCgroup: cg.memory,
        binds: byDepth([...binds, ...userBinds(mounts, this.usernsOf(c) !== undefined)]),
        logPath: l.logPath(c.id),
        availableCaps: this.availableCaps,
        userns: this.usernsOf(c),
      });
      spec.tmpfs = mounts.flatMap((m) => (m.type === 'tmpfs' ? [{ target: m.target, flags: m.flags, data: m.data }] : []));
      // A cgroup v1 file system cannot be mounted in a user namespace: there, none (as rootless docker).
      spec.cgroupMounts = this.usernsOf(c) ? [] : this.deps.cgroups.containerMounts();
      spec.interfaces = network?.interfaces ?? [];
      spec.gateway = network?.gateway;
      return await launchShim({ shimPath: this.deps.shimPath, mode: 'run', stateDir, spec: encodeSpec(spec), beforeGo: (pid) => connect(() => connectShimSocket(stateDir), pid) });
    } catch (err) {
      this.afterExit(c.id);
      throw err;
    }
  }

  /**
   * Starts an exec in the running container `c`; `connect` as for start. Rejects with
   * ShimStartError (moby's words) when the process cannot be started.
   */
  async exec(c: Container, execId: string, p: ExecProcess, opts: { stdin: boolean }, connect: (connectOne: () => Promise<Socket>) => Promise<void>): Promise<LaunchResult> {
    const l = this.deps.layout;
    const pid = this.pidOf(c.id);
    const shimPid = this.readPid(path.join(l.stateDir(c.id), 'shim.pid'));
    if (!pid || !shimPid) throw new ShimStartError(`container ${c.id} is not running`);
    const spec = buildExecSpec(c, p, { pid, shimPid, cgroups: this.deps.cgroups.paths(c.id).dirs, availableCaps: this.availableCaps, stdin: opts.stdin, userns: this.usernsOf(c) });
    const stateDir = l.execStateDir(c.id, execId);
    try {
      return await launchShim({ shimPath: this.deps.shimPath, mode: 'exec', stateDir, spec: encodeExecSpec(spec), beforeGo: () => connect(() => connectShimSocket(stateDir)) });
    } catch (err) {
      this.execDone(c.id, execId);
      throw err;
    }
  }

  /**
   * A stopped container's file system, built by a shim as for a start (overlay, binds, volumes,
   * tmpfs) but with no process: its child stops before exec and holds the mount namespace until
   * `release()` (docker cp on a stopped container). Its pid's /proc/PID/root is the root.
   */
  async holdFilesystem(c: Container, layers: string[], mounts: RuntimeMount[]): Promise<{ pid: number; release(): Promise<void> }> {
    const l = this.deps.layout;
    const stateDir = path.join(l.stateDir(c.id), 'cp', randomBytes(8).toString('hex'));
    const binds = containerFiles(l, c.id, { hostname: c.config.Hostname, hostNetwork: c.hostConfig.NetworkMode === 'host', owner: this.usernsOf(c), hostsEntries: [], nameservers: undefined });
    const spec = buildShimSpec(c, {
      layers,
      rootfs: l.rootfs(c.id),
      upper: l.upper(c.id),
      work: l.work(c.id),
      cgroups: [],
      memoryCgroup: undefined,
      binds: byDepth([...binds, ...userBinds(mounts, this.usernsOf(c) !== undefined)]),
      logPath: '',
      availableCaps: this.availableCaps,
      userns: this.usernsOf(c),
    });
    spec.logPath = '';
    spec.hold = true;
    spec.sysctls = [];
    spec.tmpfs = mounts.flatMap((m) => (m.type === 'tmpfs' ? [{ target: m.target, flags: m.flags, data: m.data }] : []));
    const launched = await launchShim({ shimPath: this.deps.shimPath, mode: 'run', stateDir, spec: encodeSpec(spec), beforeGo: async () => {} }).catch((err) => {
      rmSync(stateDir, { recursive: true, force: true });
      throw err;
    });
    return {
      pid: launched.pid,
      release: async () => {
        try {
          process.kill(launched.pid, 'SIGKILL');
        } catch {
          // gone already
        }
        for (let i = 0; i < 200 && processExists(launched.shimPid); i++) await new Promise((r) => setTimeout(r, 10));
        rmSync(stateDir, { recursive: true, force: true });
        // The stopped container had no state directory before: the empty ones made for this go.
        for (const dir of [path.dirname(stateDir), l.stateDir(c.id)]) {
          try {
            rmdirSync(dir);
          } catch {
            break; // not empty: another copy holds it
          }
        }
      },
    };
  }

  /** A running container's /etc/hosts and /etc/resolv.conf after a network connect or disconnect. */
  updateNetworkFiles(c: Container, hostsEntries: { ip: string; names: string[] }[], nameservers: string[] | undefined): void {
    if (c.hostConfig.NetworkMode === 'host') return;
    writeNetworkFiles(this.deps.layout, c.id, hostsEntries, nameservers);
  }

  /** One stats sample of a running container: its cgroups and its network namespace (via `pid`). */
  statsSample(id: string, pid: number): StatsSample {
    const cg = this.deps.cgroups;
    const sample = cg.version === 1 ? sampleV1((controller) => cg.controllerDir(id, controller)) : sampleV2(cg.paths(id).dirs[0]!);
    const networks = networkStats(pid);
    return networks && Object.keys(networks).length > 0 ? { ...sample, networks } : sample;
  }

  /** Applies new limits to a running container's cgroups. */
  updateLimits(id: string, limits: ResourceLimits): void {
    this.deps.cgroups.update(id, limits);
  }

  /** What the limits would not do on this host (moby's warnings), and moby's checks of them. */
  checkLimits(limits: ResourceLimits, opts: { update?: boolean } = {}): string[] {
    checkLimits(limits, hostCpus(), opts);
    return limitWarnings(limits, this.deps.cgroups.features);
  }

  /** Limits this host cannot apply at all, discarded before they are checked (moby's order). */
  discardUnsupported(hc: Container['hostConfig']): string[] {
    const f = this.deps.cgroups.features;
    if (typeof hc.BlkioWeight === 'number' && hc.BlkioWeight > 0 && !f.blkioWeight) {
      hc.BlkioWeight = 0;
      return ['Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.'];
    }
    return [];
  }

  get cgroups(): CgroupDriver {
    return this.deps.cgroups;
  }

  /** The exit the exec's shim wrote, once the process exited. */
  execExitOf(id: string, execId: string): ShimExit | undefined {
    return readExitFile(this.deps.layout.execStateDir(id, execId));
  }

  /** After an exec's exit is recorded: its shim state goes. */
  execDone(id: string, execId: string): void {
    rmSync(this.deps.layout.execStateDir(id, execId), { recursive: true, force: true });
  }

  private readPid(file: string): number {
    try {
      return Number(readFileSync(file, 'utf8').trim()) || 0;
    } catch {
      return 0;
    }
  }

  /** The container's pid as the shim wrote it before reporting the start (0 if unknown). */
  pidOf(id: string): number {
    return this.readPid(path.join(this.deps.layout.stateDir(id), 'pid'));
  }

  exitOf(id: string): ShimExit | undefined {
    return readExitFile(this.deps.layout.stateDir(id));
  }

  /** After the container's processes are gone: its cgroups and shim state go too. */
  afterExit(id: string): void {
    this.deps.cgroups.remove(id);
    rmSync(this.deps.layout.stateDir(id), { recursive: true, force: true });
  }

  /** Everything of a removed container, including its rootfs changes and log. */
  destroy(id: string): void {
    this.afterExit(id);
    rmSync(this.deps.layout.dataDir(id), { recursive: true, force: true });
  }

  setFrozen(id: string, frozen: boolean): Promise<void> {
    return this.deps.cgroups.setFrozen(id, frozen);
  }

  pids(id: string): number[] {
    return this.deps.cgroups.pids(id);
  }

  /** Container IDs that have directories on disk (data or state), for the reconcile at start. */
  idsOnDisk(): Set<string> {
    const ids = new Set<string>();
    for (const dir of [this.deps.layout.containersDir, this.deps.layout.statesDir]) {
      for (const name of readdirSync(dir)) if (/^[a-f0-9]{64}$/.test(name)) ids.add(name);
    }
    return ids;
  }
}
