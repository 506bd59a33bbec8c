// docker exec: create an exec instance in a running container, start it (attached or detached),
// inspect and resize it. Instances live in memory, as in moby: kapald forgets them when it
// restarts (their processes go on, each under its own `kapal-shim exec`). The exit code is
// recorded before an attached client's stream ends, because the docker CLI and docker-py read
// it from GET /exec/{id}/json the moment the stream closes.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Container } from '../../domain/container.js';
import { isRunning } from '../../domain/container-lifecycle.js';
import { KapalError, conflict, invalidArgument, notFound } from '../../domain/errors.js';
import { parseDetachKeys } from '../../domain/detach-keys.js';
import type { Exec, ExecProcess } from '../../domain/exec.js';
import type { ContainerRuntime } from '../../runtime/container-runtime.js';
import { ShimConnection } from '../../runtime/shim/connection.js';
import { ShimStartError } from '../../runtime/shim/launcher.js';
import type { ShimExit } from '../../runtime/shim/protocol.js';
import { AttachSession, type AttachEnd, type AttachSink } from '../containers/attach.js';
import type { Logger } from '../containers/queries.js';
import { execFailure } from '../containers/start-errors.js';
import type { EventService } from '../events.js';
import { failpoint } from '../failpoints.js';

export interface ExecCreateRequest {
  Cmd: string[];
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  Privileged?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  ConsoleSize?: [number, number] | null;
}

export interface ExecServiceDeps {
  /** The container lookup (moby's: ID, name, prefix). */
  containers: { get(ref: string): Container; find(ref: string): Container | undefined };
  runtime: ContainerRuntime;
  events: EventService;
  log: Logger;
}

/** Finished instances kept for inspection; older ones go first (moby collects them every 5 min). */
const KEEP_FINISHED = 1000;
/** How long a resize waits for the exec to start, as moby does. */
const RESIZE_WAIT_MS = 10_000;

interface Live {
  exec: Exec;
  started: Promise<void>;
  markStarted: () => void;
  monitor?: ShimConnection;
}

export class ExecService {
  private readonly execs = new Map<string, Live>();
  private closing = false;

  constructor(private readonly deps: ExecServiceDeps) {}

  create(ref: string, req: ExecCreateRequest): string {
    const c = this.runningContainer(ref);
    if (req.Cmd.length === 0) throw invalidArgument('No exec command specified');
    const process: ExecProcess = {
      cmd: req.Cmd,
      env: req.Env ?? [],
      user: req.User || c.config.User,
      workingDir: req.WorkingDir || c.config.WorkingDir,
      tty: req.Tty ?? false,
      privileged: req.Privileged ?? false,
      consoleSize: req.ConsoleSize ?? [0, 0],
    };
    const exec: Exec = {
      id: randomBytes(32).toString('hex'),
      containerId: c.id,
      process,
      attachStdin: req.AttachStdin ?? false,
      attachStdout: req.AttachStdout ?? false,
      attachStderr: req.AttachStderr ?? false,
      detachKeys: req.DetachKeys ?? '',
      detachKeyBytes: parseDetachKeys(req.DetachKeys ?? '', 'escape'),
      running: false,
      exitCode: null,
      pid: 0,
    };
    let markStarted = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    this.execs.set(exec.id, { exec, started, markStarted });
    this.collect();
    this.deps.events.container(c, `exec_create: ${process.cmd.join(' ')}`, { execID: exec.id });
    return exec.id;
  }

  /** moby's lookup: the full ID only, and only while its container exists. */
  inspect(id: string): Exec {
    const { exec } = this.live(id);
    if (!this.deps.containers.find(exec.containerId)) throw notFound(`No such exec instance: ${id}`);
    return exec;
  }

  /**
   * Checks that the exec can start and claims it: after this the caller may answer 101 and then
   * call launch(). Errors here are plain HTTP errors (404, 409).
   */
  claim(id: string): Exec {
    const exec = this.startable(id);
    exec.running = true;
    return exec;
  }

  /** What claim() checks, without claiming: for answers that must come before an upgrade. */
  startable(id: string): Exec {
    const { exec } = this.live(id);
    this.runningContainer(exec.containerId);
    if (exec.exitCode !== null) throw conflict(`exec command ${id} has already run`);
    if (exec.running) throw conflict(`exec command ${id} is already running`);
    return exec;
  }

  /**
   * Starts a claimed exec. With a sink, its output goes there (and stdin comes from the returned
   * session) until the process exits; the exit code is recorded before sink.end(). A start that
   * fails sets the exit code (127, 126, 128 as moby derives them) and, with a sink, writes moby's
   * message into it and ends it (resolving undefined); without one it rejects with that message.
   */
  async launch(id: string, opts: { consoleSize?: [number, number] | undefined; sink?: AttachSink }): Promise<AttachSession | undefined> {
    const live = this.execs.get(id)!;
    const { exec } = live;
    const c = this.deps.containers.get(exec.containerId);
    const process = opts.consoleSize && exec.process.tty ? { ...exec.process, consoleSize: opts.consoleSize } : exec.process;
    const sink = opts.sink;
    // The stream ends only once the start succeeded: a failed start's message goes out first.
    let launched = false;
    let endPending: AttachEnd | undefined;
    const end = (how: AttachEnd = {}) => {
      this.finish(live, how.exit);
      if (launched) sink?.end(how);
      else endPending = how;
    };
    // moby's exec stream: CloseStdin always (the client's EOF closes the process's stdin; with a
    // TTY it ends the stream instead), detach keys on a TTY, an exec_detach event for them.
    const session = sink && new AttachSession(
      { stdin: exec.attachStdin, stdout: exec.attachStdout, stderr: exec.attachStderr },
      { stdout: (b) => sink.stdout(b), stderr: (b) => sink.stderr(b), end },
      true,
      {
        tty: exec.process.tty,
        detachKeys: exec.detachKeyBytes,
        onDetachKeys: () => {
          const now = this.deps.containers.find(exec.containerId);
          if (now) this.deps.events.container(now, 'exec_detach', { execID: exec.id });
        },
      },
    );
    let monitor: Socket | undefined;
    this.deps.events.container(c, `exec_start: ${exec.process.cmd.join(' ')}`, { execID: exec.id });
    try {
      const started = await this.deps.runtime.exec(c, exec.id, process, { stdin: exec.attachStdin && session !== undefined }, async (connect) => {
        monitor = await connect();
        if (session) session.connect(await connect());
      });
      exec.pid = started.pid;
      failpoint('exec.launched');
    } catch (err) {
      monitor?.destroy();
      session?.detach();
      exec.running = false;
      live.markStarted();
      const failure = err instanceof ShimStartError ? execFailure(err.message) : { exitCode: 126, text: (err as Error).message };
      exec.exitCode = failure.exitCode;
      this.deps.events.container(c, 'exec_die', { execID: exec.id, exitCode: String(exec.exitCode) });
      if (!sink) throw err instanceof ShimStartError ? new KapalError(failure.exitCode === 128 ? 'Internal' : 'InvalidArgument', failure.text) : err;
      // The client has its 101 already: moby writes the failure into the stream, as stdout.
      sink.stdout(Buffer.from(`${failure.text}\r\n`));
      sink.end({ exit: { exitCode: failure.exitCode, signal: 0, oomKilled: false, finishedAt: new Date().toISOString(), pid: 0 } });
      return undefined;
    }
    live.monitor = ShimConnection.adopt(monitor!, { end: (exit) => this.finish(live, exit) });
    live.markStarted();
    launched = true;
    if (endPending) {
      const how = endPending;
      queueMicrotask(() => sink?.end(how));
    }
    return session;
  }

  /** POST /exec/{id}/resize: waits for the start (up to 10 s, as moby). */
  async resize(id: string, rows: number, cols: number): Promise<void> {
    const live = this.live(id);
    this.runningContainer(live.exec.containerId);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), RESIZE_WAIT_MS)));
    const outcome = await Promise.race([live.started, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new KapalError('Internal', 'timeout waiting for exec session ready');
    if (!live.monitor || live.monitor.closed) throw invalidArgument('exec process is not started');
    live.monitor.resize(rows, cols);
  }

  /** Exec IDs of a container, for its inspect (moby's ExecIDs: null when there are none). */
  idsOf(containerId: string): string[] | null {
    const ids = [...this.execs.values()].filter((l) => l.exec.containerId === containerId && l.exec.running).map((l) => l.exec.id);
    return ids.length ? ids : null;
  }

  close(): void {
    this.closing = true;
    for (const live of this.execs.values()) live.monitor?.close();
  }

  /** Records the exit once: from the shim's report, or from the exit file it wrote first. */
  private finish(live: Live, reported?: ShimExit): void {
    const { exec } = live;
    if (exec.exitCode !== null || this.closing) return;
    const exit = reported ?? this.deps.runtime.execExitOf(exec.containerId, exec.id);
    // An attach stream can end while the process runs on (the client detached or fell behind):
    // without an exit file only the monitor's end is the exit.
    if (!exit && !live.monitor?.closed) return;
    exec.running = false;
    exec.exitCode = exit ? exit.exitCode : 255;
    live.monitor?.close();
    this.deps.runtime.execDone(exec.containerId, exec.id);
    const c = this.deps.containers.find(exec.containerId);
    if (c) this.deps.events.container(c, 'exec_die', { execID: exec.id, exitCode: String(exec.exitCode) });
  }

  private live(id: string): Live {
    const live = this.execs.get(id);
    if (!live) throw notFound(`No such exec instance: ${id}`);
    return live;
  }

  private runningContainer(ref: string): Container {
    const c = this.deps.containers.get(ref);
    if (!isRunning(c.state.status)) throw conflict(`container ${c.id} is not running`);
    if (c.state.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    if (c.state.status === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    return c;
  }

  /**
   * Forgets the oldest finished instances past KEEP_FINISHED, and those of removed containers:
   * one lookup per container, not per instance (this runs at every create).
   */
  private collect(): void {
    const finished = [...this.execs.values()].filter((l) => l.exec.exitCode !== null);
    for (const live of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.execs.delete(live.exec.id);
    const gone = new Set([...new Set(finished.map((l) => l.exec.containerId))].filter((id) => !this.deps.containers.find(id)));
    for (const live of finished) if (gone.has(live.exec.containerId)) this.execs.delete(live.exec.id);
  }
}
