// Container use cases: create, start, stop, kill, restart, wait, remove, rename, pause, unpause,
// top, prune, attach, and the restore at kapald start that adopts containers still running. State
// changes go through the lifecycle table and reach the store before anyone is told. Lookups and
// reads are ContainerQueries (queries.ts); building a new container from a request is create.ts.

import path from 'node:path';
import type { Socket } from 'node:net';
import { decideRestart, restartPolicyError, restartsAtDaemonStart } from '../../domain/restart-policy.js';
import { ZERO_TIME, type Container, type ContainerState, type HostConfig } from '../../domain/container.js';
import { emptySample } from '../../runtime/cgroups/stats.js';
import type { LayerChange } from '../../runtime/container-layer.js';
import { archivePath, extractInto, statPath, type PathStat } from '../../runtime/container-archive.js';
import { commitContainer, containerChanges, exportContainer, type CommitRequest } from './commit.js';
import type { Readable } from 'node:stream';
import { LIMIT_KEYS, limitsOf, type ResourceLimits } from '../../domain/resources.js';
import type { NetworkPlan } from '../../domain/network.js';
import type { RuntimeMount } from '../../runtime/container-runtime.js';
import { isRunning, transition } from '../../domain/container-lifecycle.js';
import { KapalError, conflict, invalidArgument, notFound, notModified } from '../../domain/errors.js';
import { DEFAULT_DETACH_KEYS } from '../../domain/detach-keys.js';
import { VALID_NAME } from '../../domain/container-names.js';
import { ShimConnection, connectShimSocket } from '../../runtime/shim/connection.js';
import { ShimStartError } from '../../runtime/shim/launcher.js';
import type { ShimExit } from '../../runtime/shim/protocol.js';
import { SIGKILL, parseSignal } from '../../runtime/signals.js';
import type { CreateRequest } from '../container-create-config.js';
import { AttachSession, storedOutput, type AttachRequest, type AttachSink, type AttachStreams } from './attach.js';
import { buildContainer } from './create.js';
import { checkFilters, matchLabels, untilCutoff } from './filters.js';
import { KeyedMutex } from './keyed-mutex.js';
import { ContainerQueries } from './queries.js';
import { startFailure } from './start-errors.js';
import { top, type TopResult } from './top.js';
import { ContainerWaiters, type WaitCondition, type WaitResult } from './waiters.js';
import { failpoint } from '../failpoints.js';

export type { ContainerServiceDeps, Logger } from './queries.js';

/** POST /containers/{id}/update: limits and the restart policy. */
export type UpdateRequest = { [K in keyof ResourceLimits]?: ResourceLimits[K] | null } & { RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | undefined };

/** How often an exit the database could not take is offered again. */
const EXIT_RETRY_MS = 1000;
/** How long kill and stop wait for a SIGKILLed container to be reported gone. */
const KILL_WAIT_MS = 30_000;
const now = () => new Date().toISOString();

export class ContainerService extends ContainerQueries {
  private readonly mutex = new KeyedMutex();
  private readonly waiters = new ContainerWaiters();
  private readonly monitors = new Map<string, ShimConnection>();
  private readonly pendingAttach = new Map<string, Set<AttachSession>>();
  /** Containers waiting out their restart policy's delay (status restarting), and the delays so far. */
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly restartDelays = new Map<string, number>();
  private closing = false;


  // ---- create, rename, remove ----------------------------------------------------------------

  create(req: CreateRequest, name: string | undefined): { Id: string; Warnings: string[] } {
    const { store, runtime } = this.deps;
    const { container, warnings, joins, mounts } = buildContainer(this.deps, req, name);
    runtime.validate(container);
    try {
      // Inside the try: directories made before a failure (a full disk) go with it.
      runtime.prepare(container);
      failpoint('create.prepared');
      const made = this.deps.networks.inTransaction(() => {
        store.insert(container);
        this.deps.networks.record(container.id, container.name.slice(1), joins);
        return this.deps.volumes.attach(container.id, mounts);
      });
      this.deps.volumes.created(made);
    } catch (err) {
      runtime.destroy(container.id);
      throw err;
    }
    failpoint('create.committed');
    this.deps.events.container(container, 'create');
    return { Id: container.id, Warnings: warnings };
  }

  rename(ref: string, newName: string): void {
    const c = this.get(ref);
    if (!VALID_NAME.test(newName)) throw invalidArgument(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const full = newName.startsWith('/') ? newName : `/${newName}`;
    if (full === c.name) throw invalidArgument('Renaming a container with the same name as its current name');
    this.deps.store.rename(c.id, full);
    this.deps.events.container({ ...c, name: full }, 'rename', { oldName: c.name });
  }

  async remove(ref: string, opts: { force: boolean; volumes?: boolean }): Promise<void> {
    const found = this.get(ref);
    await this.mutex.run(found.id, async () => {
      let c = this.deps.store.get(found.id);
      if (!c) return;
      if (isRunning(c.state.status)) {
        if (!opts.force) transition(c, 'remove', ref);
        // No restart policy may bring it back meanwhile; one waiting to restart just stops.
        this.stoppedByUser(c);
        c = this.deps.store.get(found.id);
        if (c && isRunning(c.state.status)) await this.killAndWait(c);
        c = this.deps.store.get(found.id);
        if (!c) return;
      }
      this.destroy(c, opts.volumes === true);
    });
  }

  /** Removes the container (and, with `volumes` or AutoRemove, its anonymous volumes). */
  private destroy(c: Container, volumes = c.hostConfig.AutoRemove): void {
    const owned = this.deps.volumes.namesOf(c.id);
    this.deps.store.setState(c.id, { ...c.state, status: transition(c, 'remove') });
    failpoint('remove.marked');
    for (const session of this.pendingAttach.get(c.id) ?? []) session.end();
    this.pendingAttach.delete(c.id);
    try {
      this.deps.runtime.destroy(c.id);
    } catch (err) {
      this.deps.store.setState(c.id, { ...c.state, status: 'dead', error: `removal failed: ${(err as Error).message}` });
      this.waiters.removed(c.id, c.state.exitCode, (err as Error).message);
      throw err;
    }
    failpoint('remove.destroyed');
    this.deps.store.remove(c.id);
    if (volumes) this.deps.volumes.removeAnonymous(owned);
    this.deps.events.container(c, 'destroy');
    this.waiters.removed(c.id, c.state.exitCode);
  }

  async prune(filters: Map<string, string[]>): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }> {
    checkFilters(filters, new Set(['until', 'label', 'label!']));
    const cutoffs = (filters.get('until') ?? []).map((u) => untilCutoff(u));
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.deps.store.list()) {
      if (isRunning(c.state.status)) continue;
      if (cutoffs.some((cut) => Date.parse(c.createdAt) >= cut)) continue;
      if (filters.has('label') && !matchLabels(c.config.Labels, filters.get('label')!)) continue;
      if (filters.has('label!') && filters.get('label!')!.some((l) => matchLabels(c.config.Labels, [l]))) continue;
      const size = this.sizeRw(c);
      try {
        await this.remove(c.id, { force: false });
      } catch (err) {
        this.deps.log.warn({ err, container: c.id }, 'prune could not remove a container');
        continue;
      }
      deleted.push(c.id);
      reclaimed += size;
    }
    return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  // ---- start, and what happens when a container exits ------------------------------------------

  async start(ref: string): Promise<void> {
    const found = this.get(ref);
    if (found.state.status === 'running') throw notModified();
    transition(found, 'start', ref);
    await this.mutex.run(found.id, async () => {
      this.resetRestartPolicy(found.id);
      await this.startLocked(found.id, ref);
    });
  }

  // ---- restart policies --------------------------------------------------------------------------

  /** A start or restart by the user: the policy starts over (moby resets RestartCount) and the manual stop is forgotten. */
  private resetRestartPolicy(id: string): void {
    this.cancelRestart(id);
    this.restartDelays.delete(id);
    this.deps.store.setRestart(id, 0, false);
  }

  /** docker stop or kill: not restarted until started again; a pending restart is called off. */
  private stoppedByUser(c: Container): void {
    try {
      this.deps.store.setRestart(c.id, c.restartCount, true);
    } catch (err) {
      // Only a restart policy needs to know the stop was the user's. Without one, a kill or stop
      // must work when the database cannot write (a full disk: users stop what filled it).
      if ((c.hostConfig.RestartPolicy?.Name || 'no') !== 'no') throw err;
      this.deps.log.warn({ err, container: c.id }, 'could not record the stop by the user');
    }
    if (c.state.status === 'restarting') {
      this.cancelRestart(c.id);
      this.deps.store.setState(c.id, { ...c.state, status: transition(c, 'exit') });
      this.waiters.exited(c.id, c.state.exitCode);
    }
  }

  private cancelRestart(id: string): void {
    clearTimeout(this.restartTimers.get(id));
    this.restartTimers.delete(id);
  }

  /**
   * After an exit: the restart policy's decision. A restart waits its delay as `restarting`,
   * then starts the container again under its lock unless the user stopped or removed it meanwhile.
   */
  private applyRestartPolicy(c: Container, state: ContainerState): boolean {
    if (this.closing || c.hostConfig.AutoRemove) return false;
    const ranMs = state.startedAt && state.finishedAt ? Date.parse(state.finishedAt) - Date.parse(state.startedAt) : 0;
    const latest = this.deps.store.get(c.id) ?? c;
    const decision = decideRestart(c.hostConfig.RestartPolicy, { exitCode: state.exitCode, manuallyStopped: latest.manuallyStopped, restartCount: latest.restartCount, ranMs }, this.restartDelays.get(c.id) ?? 0);
    if (!decision.restart) return false;
    this.restartDelays.set(c.id, decision.delayMs);
    this.deps.store.setState(c.id, { ...state, status: 'restarting' });
    this.scheduleRestart(c.id, decision.delayMs);
    return true;
  }

  private scheduleRestart(id: string, delayMs: number): void {
    this.cancelRestart(id);
    const timer = setTimeout(() => {
      this.restartTimers.delete(id);
      void this.mutex.run(id, async () => {
        const c = this.deps.store.get(id);
        if (!c || c.state.status !== 'restarting' || this.closing) return;
        this.deps.store.setRestart(id, c.restartCount + 1, false);
        try {
          await this.startLocked(id, id);
        } catch (err) {
          // moby gives up after a failed restart: the container stays stopped, the failure recorded.
          this.deps.log.warn({ err, container: id }, 'restart by the restart policy failed');
          const latest = this.deps.store.get(id);
          if (latest?.state.status === 'restarting') this.deps.store.setState(id, { ...latest.state, status: 'exited', error: (err as Error).message });
        }
      }).catch((err) => this.deps.log.error({ err, container: id }, 'restart by the restart policy failed'));
    }, delayMs);
    timer.unref();
    this.restartTimers.set(id, timer);
  }

  private async startLocked(id: string, ref: string): Promise<void> {
    const c = this.deps.store.get(id);
    if (!c) throw notFound(`No such container: ${ref}`);
    if (c.state.status === 'running') throw notModified();
    const started = transition(c, 'start', ref);
    const image = this.deps.images.get(c.imageId);
    const sessions = [...(this.pendingAttach.get(id) ?? [])];
    this.pendingAttach.delete(id);
    let monitorSocket: Socket | undefined;
    let launched;
    let network: NetworkPlan | undefined;
    try {
      network = await this.deps.networks.prepareStart(c);
      failpoint('start.network');
      // Before SHIM_GO: the shim reads these clients' CLIENT_ATTACH (and queued stdin) before the
      // process runs, so even `echo hi` reaches them; the veths are in the child's netns.
      const layers = this.deps.images.layerPaths(image);
      const mounts = this.runtimeMounts(c, [this.deps.runtime.layout.upper(c.id), ...layers]);
      launched = await this.deps.runtime.start(c, this.deps.images.layerPaths(image), network, mounts, async (connect, pid) => {
        const attached = network?.attach(pid);
        monitorSocket = await connect();
        for (const s of sessions) s.connect(await connect());
        await attached;
        failpoint('start.launched');
      });
    } catch (err) {
      monitorSocket?.destroy();
      for (const s of sessions) s.end();
      if (network) await this.deps.networks.stopped(c.id).catch((e) => this.deps.log.warn({ err: e, container: c.id }, 'network clean-up after a failed start failed'));
      this.releaseVolumes(c.id);
      throw this.startFailed(c, err);
    }
    const state: ContainerState = { ...c.state, status: started, pid: launched.pid, exitCode: 0, error: '', oomKilled: false, startedAt: now() };
    this.deps.store.setState(id, state);
    failpoint('start.recorded');
    this.deps.events.container(c, 'start');
    this.watch(id, monitorSocket!);
    // Clients that attached while the shim was starting (after `sessions` was taken) join now;
    // they may miss the first output.
    const late = [...(this.pendingAttach.get(id) ?? [])];
    this.pendingAttach.delete(id);
    for (const s of late) connectShimSocket(this.deps.runtime.layout.stateDir(id)).then((socket) => s.connect(socket), () => s.end());
  }

  private startFailed(c: Container, err: unknown): KapalError | unknown {
    let exitCode: number;
    let failure: KapalError | unknown;
    if (err instanceof ShimStartError) {
      const f = startFailure(err.message);
      this.deps.store.setState(c.id, { ...c.state, exitCode: f.exitCode, error: f.text });
      exitCode = f.exitCode;
      failure = f.error;
    } else if (err instanceof KapalError) {
      // The start was refused before anything ran (its network, a taken port): moby records 128.
      this.deps.store.setState(c.id, { ...c.state, exitCode: 128, error: err.message });
      exitCode = 128;
      failure = err;
    } else {
      this.deps.log.error({ err, container: c.id }, 'container start failed');
      return err;
    }
    this.waiters.exited(c.id, exitCode, null);
    if (c.hostConfig.AutoRemove) {
      const latest = this.deps.store.get(c.id);
      if (latest) this.destroy(latest);
    }
    return failure;
  }

  /** Follows a running container through its shim until it exits. */
  private watch(id: string, socket: Socket): void {
    const conn = ShimConnection.adopt(socket, { end: (exit) => this.exited(id, exit) });
    this.monitors.set(id, conn);
  }

  /** The shim reported the exit (or went away): record it, tell the waiters, auto-remove. */
  private exited(id: string, reported: ShimExit | undefined, retry = false): void {
    if (this.closing) return;
    this.monitors.delete(id);
    const c = this.deps.store.get(id);
    if (!c || !isRunning(c.state.status)) return;
    const exit = reported ?? this.deps.runtime.exitOf(id);
    const status = transition(c, 'exit');
    const state: ContainerState = exit
      ? { ...c.state, status, pid: 0, exitCode: exit.exitCode, oomKilled: exit.oomKilled, finishedAt: exit.finishedAt }
      : { ...c.state, status, pid: 0, exitCode: 255, error: 'kapal-shim exited without reporting the exit status', finishedAt: now() };
    try {
      this.deps.runtime.afterExit(id);
    } catch (err) {
      this.deps.log.warn({ err, container: id }, 'cleanup after exit failed');
    }
    try {
      this.deps.store.setState(id, state);
    } catch (err) {
      // The database cannot take it (a full disk): this runs from the shim socket's close event,
      // where a throw would kill kapald. The store still says running; try again until it can.
      // Whoever waits for the exit (kill, stop, wait) hears of it now: the process is gone.
      if (!retry) {
        this.deps.log.error({ err, container: id }, `could not record the exit; trying again every ${EXIT_RETRY_MS} ms`);
        this.waiters.exited(id, state.exitCode);
      }
      setTimeout(() => this.exited(id, exit, true), EXIT_RETRY_MS).unref();
      return;
    }
    this.releaseVolumes(id);
    this.deps.networks.stopped(id).catch((err) => this.deps.log.warn({ err, container: id }, 'network clean-up after exit failed'));
    if (state.oomKilled) this.deps.events.container(c, 'oom');
    this.deps.events.container(c, 'die', { exitCode: String(state.exitCode), execDuration: String(secondsBetween(c.state.startedAt, state.finishedAt)) });
    try {
      this.applyRestartPolicy(c, state);
    } catch (err) {
      // Could not record `restarting` (a full disk): it stays exited, as after a failed restart.
      this.deps.log.error({ err, container: id }, 'restart by the restart policy failed');
    }
    this.waiters.exited(id, state.exitCode);
    if (c.hostConfig.AutoRemove) {
      void this.mutex.run(id, async () => {
        const latest = this.deps.store.get(id);
        if (latest && !isRunning(latest.state.status)) this.destroy(latest);
      }).catch((err) => this.deps.log.error({ err, container: id }, 'auto-remove failed'));
    }
  }

  // ---- signals: kill, stop, restart, pause ------------------------------------------------------

  private monitor(c: Container): ShimConnection {
    const conn = this.monitors.get(c.id);
    if (!conn || conn.closed) throw new KapalError('Conflict', `container ${c.id} is not running`);
    return conn;
  }

  /** Resolves when the container is next seen stopped (or at once if it is not running). */
  private nextExit(c: Container): Promise<WaitResult> {
    if (!isRunning(c.state.status)) return Promise.resolve({ StatusCode: c.state.exitCode, Error: null });
    return this.waiters.add(c.id, 'next-exit').result;
  }

  private async killAndWait(c: Container): Promise<void> {
    const exited = this.nextExit(c);
    const conn = this.monitors.get(c.id);
    // Its shim has gone (the exit is being recorded): only the exit is left to wait for.
    if (!conn || conn.closed) return void (await withTimeout(exited, KILL_WAIT_MS, `container ${c.id} did not exit`));
    conn.signal(SIGKILL);
    this.deps.events.container(c, 'kill', { signal: String(SIGKILL) });
    if (c.state.status === 'paused') await this.deps.runtime.setFrozen(c.id, false).catch(() => {});
    await withTimeout(exited, KILL_WAIT_MS, `container ${c.id} did not exit after SIGKILL`);
  }

  async kill(ref: string, signal: string | undefined): Promise<void> {
    const c = this.get(ref);
    const signo = parseSignal(signal || 'KILL');
    transition(c, 'kill', ref);
    this.stoppedByUser(c);
    if (c.state.status === 'restarting') return;
    if (signo === SIGKILL) await this.mutex.run(c.id, async () => {
      const latest = this.deps.store.get(c.id);
      if (latest && isRunning(latest.state.status)) await this.killAndWait(latest);
    });
    else {
      this.monitor(c).signal(signo);
      this.deps.events.container(c, 'kill', { signal: String(signo) });
    }
  }

  async stop(ref: string, opts: { timeout: number | undefined; signal: string | undefined }): Promise<void> {
    const c = this.get(ref);
    if (!isRunning(c.state.status)) throw notModified();
    await this.mutex.run(c.id, () => this.stopLocked(c.id, opts));
  }

  private async stopLocked(id: string, opts: { timeout: number | undefined; signal: string | undefined }): Promise<void> {
    const found = this.deps.store.get(id);
    if (!found || !isRunning(found.state.status)) return;
    this.stoppedByUser(found);
    const c = this.deps.store.get(id)!;
    if (!isRunning(c.state.status)) return; // it was waiting to restart: now it is stopped
    const signo = parseSignal(opts.signal || c.config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? c.config.StopTimeout ?? 10;
    const exited = this.nextExit(c);
    this.monitor(c).signal(signo);
    failpoint('stop.signalled');
    this.deps.events.container(c, 'kill', { signal: String(signo) });
    if (c.state.status === 'paused') await this.deps.runtime.setFrozen(c.id, false);
    const inTime = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), sleep(timeout * 1000).then(() => false)]);
    if (!inTime) await this.killAndWait(this.deps.store.get(id) ?? c);
    this.deps.events.container(c, 'stop');
  }

  async restart(ref: string, opts: { timeout: number | undefined; signal: string | undefined }): Promise<void> {
    const c = this.get(ref);
    await this.mutex.run(c.id, async () => {
      // RestartCount counts restarts by the restart policy only, and a restart resets it, as in moby.
      await this.stopLocked(c.id, opts);
      this.resetRestartPolicy(c.id);
      await this.startLocked(c.id, ref);
      this.deps.events.container(c, 'restart');
    });
  }

  pause(ref: string): Promise<void> {
    return this.setPaused(ref, true);
  }

  unpause(ref: string): Promise<void> {
    return this.setPaused(ref, false);
  }

  /** The freezer cgroup, then the state: paused or running again. */
  private async setPaused(ref: string, paused: boolean): Promise<void> {
    const c = this.get(ref);
    await this.mutex.run(c.id, async () => {
      const latest = this.get(c.id);
      const status = transition(latest, paused ? 'pause' : 'unpause', ref);
      await this.deps.runtime.setFrozen(c.id, paused);
      this.deps.store.setState(c.id, { ...latest.state, status });
      this.deps.events.container(latest, paused ? 'pause' : 'unpause');
    });
  }

  /** Volumes with options the container mounted, unmounted once no running container uses them. */
  private releaseVolumes(id: string): void {
    try {
      this.deps.volumes.release(this.deps.volumes.namesOf(id));
    } catch (err) {
      this.deps.log.warn({ err, container: id }, 'could not unmount a volume after the container stopped');
    }
  }

  /** The container's mounts for the runtime: volumes as their directories, mounted if they need it. */
  private runtimeMounts(c: Container, layers: string[]): RuntimeMount[] {
    const firstStart = !c.state.startedAt || c.state.startedAt === ZERO_TIME;
    return this.mountsOf(c).map((m): RuntimeMount => (m.type === 'volume' ? { ...m, source: this.deps.volumes.prepare(m, layers, { firstStart }) } : m));
  }

  /**
   * docker update: new limits (zero or absent: unchanged, as the CLI sends every field), applied
   * to a running container's cgroups at once, and a new restart policy.
   */
  async update(ref: string, req: UpdateRequest): Promise<{ Warnings: string[] }> {
    const found = this.get(ref);
    return this.mutex.run(found.id, async () => {
      const c = this.get(found.id);
      const hc: HostConfig = { ...c.hostConfig };
      for (const key of LIMIT_KEYS) {
        const v = req[key];
        // The CLI sends every field, zero when not given; PidsLimit only when given (0 or -1: none).
        if (key === 'PidsLimit' ? v === undefined || v === null : v === undefined || v === null || v === 0 || v === '') continue;
        (hc as Record<string, unknown>)[key] = key === 'PidsLimit' && (v as number) <= 0 ? 0 : v;
      }
      const current = limitsOf(c.hostConfig);
      // moby's update rules (container_unix.go UpdateContainer), answered 409 with its prefix.
      const refuse = (why: string) => new KapalError('Conflict', `Cannot update container ${c.id}: ${why}`);
      if (req.Memory && !req.MemorySwap && current.MemorySwap > 0 && req.Memory > current.MemorySwap) {
        throw refuse('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
      }
      if (current.NanoCpus > 0 && req.CpuQuota) throw refuse('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
      if (current.NanoCpus > 0 && req.CpuPeriod) throw refuse('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
      if (req.NanoCpus && current.CpuPeriod > 0) throw refuse('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
      if (req.NanoCpus && current.CpuQuota > 0) throw refuse('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
      if (req.RestartPolicy?.Name) {
        if (c.hostConfig.AutoRemove && req.RestartPolicy.Name !== 'no') throw invalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
        hc.RestartPolicy = { Name: req.RestartPolicy.Name, MaximumRetryCount: req.RestartPolicy.MaximumRetryCount ?? 0 };
        const policyError = restartPolicyError(hc.RestartPolicy);
        if (policyError) throw invalidArgument(policyError);
      }
      if (typeof hc.Memory === 'number' && hc.Memory > 0 && !hc.MemorySwap) hc.MemorySwap = hc.Memory * 2;
      const warnings = this.deps.runtime.discardUnsupported(hc);
      const limits = limitsOf(hc);
      warnings.push(...this.deps.runtime.checkLimits(limits, { update: true }));
      if (hc.PidsLimit === 0) limits.PidsLimit = -1; // stored as none, written as `max`
      if (isRunning(c.state.status)) {
        try {
          this.deps.runtime.updateLimits(c.id, limits);
        } catch (err) {
          // Put back what was there; moby's words for a failed update.
          try {
            this.deps.runtime.updateLimits(c.id, current);
          } catch {
            // the old values no longer fit either: the container keeps what the kernel took
          }
          throw new KapalError('Internal', `Cannot update container ${c.id}: ${(err as Error).message}`);
        }
      }
      this.deps.store.setHostConfig(c.id, hc);
      this.deps.events.container(c, 'update');
      return { Warnings: warnings };
    });
  }

  /**
   * docker stats: samples of the container's cgroups. `stream`: one a second until the client
   * goes or the container stops; otherwise one, with precpu_stats from a sample a second before
   * (moby's two collections) unless `oneShot`.
   */
  async *stats(ref: string, opts: { stream: boolean; oneShot: boolean }): AsyncGenerator<object> {
    const c = this.get(ref);
    const running = () => {
      const now = this.find(c.id);
      return now !== undefined && isRunning(now.state.status) ? now : undefined;
    };
    const take = () => {
      const now = running();
      // With the host's network the interfaces are the host's: none reported, as dockerd does.
      const pid = now && now.hostConfig.NetworkMode !== 'host' ? now.state.pid : 0;
      return { read: new Date().toISOString(), sample: now ? this.deps.runtime.statsSample(c.id, pid) : emptySample() };
    };
    const frame = (cur: ReturnType<typeof take>, pre: ReturnType<typeof take> | undefined) => ({
      read: running() ? cur.read : ZERO_TIME,
      preread: pre?.read ?? ZERO_TIME,
      ...cur.sample,
      precpu_stats: pre?.sample.cpu_stats ?? emptySample().cpu_stats,
      num_procs: 0,
      storage_stats: {},
      name: c.name,
      id: c.id,
    });
    if (!running()) {
      yield frame(take(), undefined);
      return;
    }
    if (!opts.stream) {
      const first = take();
      if (opts.oneShot) return yield frame(first, undefined);
      await sleep(1000);
      return yield frame(take(), first);
    }
    let pre: ReturnType<typeof take> | undefined;
    while (running()) {
      const cur = take();
      yield frame(cur, pre);
      pre = cur;
      await sleep(1000);
    }
  }

  /** docker diff. */
  changes(ref: string): LayerChange[] {
    const c = this.get(ref);
    return containerChanges(this.deps.runtime, this.deps.images, c, this.mountsOf(c).map((m) => m.target));
  }

  /**
   * Runs `fn` with a pid whose /proc/PID/root is the container's file system: the running
   * container's, or for a stopped one a shim that builds it and holds it (under the container's
   * lock, so it does not start meanwhile). `fn` resolves when it no longer needs it.
   */
  private async withFilesystem<T>(ref: string, fn: (pid: number) => Promise<T> | T): Promise<T> {
    const found = this.get(ref);
    if (isRunning(found.state.status) && found.state.pid) return fn(found.state.pid);
    return this.mutex.run(found.id, async () => {
      const c = this.get(found.id);
      if (isRunning(c.state.status) && c.state.pid) return fn(c.state.pid);
      const layers = this.deps.images.layerPaths(this.deps.images.get(c.imageId));
      try {
        const mounts = this.runtimeMounts(c, [this.deps.runtime.layout.upper(c.id), ...layers]);
        const held = await this.deps.runtime.holdFilesystem(c, layers, mounts);
        try {
          return await fn(held.pid);
        } finally {
          await held.release();
        }
      } finally {
        this.releaseVolumes(c.id);
      }
    });
  }

  archiveStat(ref: string, p: string): Promise<PathStat> {
    return this.withFilesystem(ref, (pid) => statPath(pid, p, ref));
  }

  /** The tar is read while the file system is held; the hold ends with the stream. */
  async archiveGet(ref: string, p: string): Promise<{ stat: PathStat; tar: Readable }> {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const ready = new Promise<{ stat: PathStat; tar: Readable }>((resolve, reject) => {
      this.withFilesystem(ref, async (pid) => {
        const out = archivePath(pid, p, ref);
        out.tar.once('close', release);
        out.tar.once('end', release);
        out.tar.once('error', release);
        resolve(out);
        await released;
      }).catch(reject);
    });
    return ready;
  }

  async archivePut(ref: string, p: string, body: Readable, opts: { copyUIDGID: boolean; noOverwriteDirNonDir: boolean }): Promise<void> {
    const c = this.get(ref);
    // moby's checks: a read-only mount refuses the copy; outside the mounts, a read-only rootfs.
    const abs = path.posix.normalize(`/${p}`);
    const into = this.mountsOf(c)
      .filter((m) => abs === m.target || abs.startsWith(`${m.target}/`))
      .sort((a, b) => b.target.length - a.target.length)[0];
    const readonly = into ? (into.type === 'tmpfs' ? into.flags.includes('ro') : into.readonly) : false;
    if (into && readonly) throw new KapalError('Internal', 'mounted volume is marked read-only');
    if (!into && c.hostConfig.ReadonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
    const owner = c.hostConfig.UsernsMode === 'host' ? undefined : this.deps.runtime.usernsOwner;
    await this.withFilesystem(ref, (pid) => extractInto(pid, p, ref, body, { ...opts, owner: owner ? { uid: owner.rootUid, gid: owner.rootGid } : { uid: 0, gid: 0 } }));
  }

  /** docker export. */
  exportFs(ref: string): Readable {
    return exportContainer(this.deps.runtime, this.deps.images, this.get(ref));
  }

  /** docker commit: a new image of the container's layer; its ID. */
  async commit(ref: string, req: CommitRequest): Promise<string> {
    const found = this.get(ref);
    return this.mutex.run(found.id, async () => {
      const c = this.get(found.id);
      const id = await commitContainer(this.deps, c, isRunning(c.state.status), this.mountsOf(c).map((m) => m.target), req);
      this.deps.events.container(c, 'commit', { comment: req.comment });
      return id;
    });
  }

  async top(ref: string, psArgs: string): Promise<TopResult> {
    const c = this.get(ref);
    if (!isRunning(c.state.status)) throw new KapalError('Conflict', `container ${c.id} is not running`);
    return top(this.deps.runtime.pids(c.id), psArgs);
  }

  resize(ref: string, rows: number, cols: number): void {
    const c = this.get(ref);
    this.monitor(c).resize(rows, cols);
    this.deps.events.container(c, 'resize', { height: String(rows), width: String(cols) });
  }

  // ---- wait and attach --------------------------------------------------------------------------

  /** Registers a wait now (so the response headers can go out at once); resolves later. */
  wait(ref: string, condition: WaitCondition): { result: Promise<WaitResult>; cancel: () => void } {
    const c = this.get(ref);
    if (condition === 'not-running' && !isRunning(c.state.status)) {
      return { result: Promise.resolve({ StatusCode: c.state.exitCode, Error: null }), cancel: () => {} };
    }
    return this.waiters.add(c.id, condition);
  }

  /**
   * Attaches a client. A running container's shim takes it at once; a created or stopped one
   * keeps it until the next start (docker run and start -a attach first). With `logs` the stored
   * log is replayed first (then, as in moby, output between the end of the log and the live
   * attach may be missed); `stream: false` ends the session after it. The session comes back at
   * once, so the transport can wire stdin and drain while the replay runs.
   */
  async attach(ref: string, streams: AttachStreams, sink: AttachSink, opts: AttachRequest = {}): Promise<AttachSession> {
    const c = this.attachable(ref);
    const session = new AttachSession({ ...streams, stdin: streams.stdin && c.config.OpenStdin }, sink, c.config.StdinOnce, {
      tty: c.config.Tty,
      detachKeys: opts.detachKeys ?? DEFAULT_DETACH_KEYS,
      onDetachKeys: () => {
        const now = this.find(c.id);
        if (now) this.deps.events.container(now, 'detach');
      },
    });
    this.follow(c, session, opts).catch(() => session.end());
    return session;
  }

  /** The container, if a client may attach to it now (moby refuses a paused one). */
  attachable(ref: string): Container {
    const c = this.get(ref);
    if (c.state.status === 'paused') throw conflict(`container ${ref} is paused, unpause the container before attach`);
    return c;
  }

  private async follow(c: Container, session: AttachSession, opts: AttachRequest): Promise<void> {
    if (opts.logs) await session.replay(storedOutput(this.logPath(c), session.streams));
    if (opts.stream === false) return session.end();
    const now = this.deps.store.get(c.id);
    if (!now || session.closed) return session.end();
    this.deps.events.container(now, 'attach');
    if (isRunning(now.state.status)) {
      session.connect(await connectShimSocket(this.deps.runtime.layout.stateDir(c.id)));
      return;
    }
    const set = this.pendingAttach.get(c.id) ?? new Set();
    set.add(session);
    this.pendingAttach.set(c.id, set);
  }

  detach(ref: string, session: AttachSession): void {
    session.detach();
    const c = this.find(ref);
    if (c) this.pendingAttach.get(c.id)?.delete(session);
  }

  // ---- restore at start, and close ------------------------------------------------------------

  /**
   * Reconciles the store with the machine after kapald (re)starts: containers whose shim still
   * answers are followed again with their PID unchanged; those that exited meanwhile get the exit
   * the shim wrote; directories of containers the store does not know are removed.
   */
  async restore(): Promise<{ adopted: number; exited: number; removed: number }> {
    const { store, runtime, log } = this.deps;
    const known = new Set<string>();
    const counts = { adopted: 0, exited: 0, removed: 0, unchanged: 0 };
    for (const c of store.list()) {
      known.add(c.id);
      try {
        counts[await this.restoreOne(c)]++;
      } catch (err) {
        log.error({ err, container: c.id }, 'could not reconcile a container; it is left as it is');
      }
    }
    for (const id of runtime.idsOnDisk()) {
      if (known.has(id)) continue;
      try {
        runtime.destroy(id);
        counts.removed++;
      } catch (err) {
        log.warn({ err, container: id }, 'could not remove what an unknown container left');
      }
    }
    return { adopted: counts.adopted, exited: counts.exited, removed: counts.removed };
  }

  /**
   * At kapald's start, once networking is back, as dockerd does: stopped containers whose policy
   * says so start again (always, even after a docker stop; unless-stopped unless the user stopped
   * it; on-failure after a failure). Returns how many started.
   */
  async restartByPolicy(): Promise<number> {
    const { store, log } = this.deps;
    let started = 0;
    for (const c of store.list()) {
      if (c.state.status !== 'exited' || !c.state.startedAt) continue;
      if (!restartsAtDaemonStart(c.hostConfig.RestartPolicy, c.manuallyStopped, c.state.exitCode, c.restartCount)) continue;
      try {
        await this.mutex.run(c.id, () => this.startLocked(c.id, c.id));
        started++;
      } catch (err) {
        log.warn({ err, container: c.id }, 'could not start a container its restart policy restarts at kapald start');
      }
    }
    return started;
  }

  /** One container: a live shim is followed again whatever the store said; otherwise the exit. */
  private async restoreOne(c: Container): Promise<'adopted' | 'exited' | 'removed' | 'unchanged'> {
    const { store, runtime } = this.deps;
    if (c.state.status === 'removing') {
      this.destroy({ ...c, state: { ...c.state, status: 'dead' } });
      return 'removed';
    }
    let socket: Socket | undefined;
    try {
      socket = await connectShimSocket(runtime.layout.stateDir(c.id));
    } catch {
      socket = undefined;
    }
    if (socket) {
      if (!isRunning(c.state.status)) {
        // kapald died between spawning the shim and recording the start.
        const pid = runtime.pidOf(c.id);
        store.setState(c.id, { ...c.state, status: 'running', pid, exitCode: 0, error: '', startedAt: c.state.startedAt ?? now() });
      }
      this.watch(c.id, socket);
      return 'adopted';
    }
    if (c.state.status === 'restarting') {
      // It was waiting out its restart delay when kapald went: it restarts now.
      this.scheduleRestart(c.id, 0);
      return 'unchanged';
    }
    if (isRunning(c.state.status)) {
      this.exited(c.id, undefined);
      return 'exited';
    }
    runtime.afterExit(c.id); // cgroups or state a crash mid-start may have left
    return 'unchanged';
  }

  /** kapald is stopping: let go of the shims; the containers keep running. */
  close(): void {
    this.closing = true;
    for (const timer of this.restartTimers.values()) clearTimeout(timer);
    this.restartTimers.clear();
    for (const conn of this.monitors.values()) conn.close();
    this.monitors.clear();
  }
}

/** Whole seconds from one ISO time to another (moby's execDuration); 0 when either is missing. */
function secondsBetween(from: string | null, to: string | null): number {
  const ms = from && to ? Date.parse(to) - Date.parse(from) : NaN;
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

