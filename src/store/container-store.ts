// Containers in SQLite: one row each, config and host config as JSON, state in columns. A name
// taken twice is the UNIQUE constraint's job, turned into docker's Conflict here.

import type { Container, ContainerState, ContainerStatus, HostConfig } from '../domain/container.js';
import { conflict, notFound } from '../domain/errors.js';
import type { Db } from './database.js';

interface ContainerRow {
  id: string;
  name: string;
  image_id: string;
  image_name: string;
  config: string;
  host_config: string;
  created_at: string;
  restart_count: number;
  status: ContainerStatus;
  pid: number;
  exit_code: number;
  error: string;
  oom_killed: number;
  started_at: string | null;
  finished_at: string | null;
  manually_stopped: number;
}

const fromRow = (r: ContainerRow): Container => ({
  id: r.id,
  name: r.name,
  imageId: r.image_id,
  imageName: r.image_name,
  config: JSON.parse(r.config),
  hostConfig: JSON.parse(r.host_config),
  createdAt: r.created_at,
  restartCount: r.restart_count,
  manuallyStopped: r.manually_stopped === 1,
  state: {
    status: r.status,
    pid: r.pid,
    exitCode: r.exit_code,
    error: r.error,
    oomKilled: r.oom_killed === 1,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  },
});

const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export class ContainerStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      byId: db.prepare<[string], ContainerRow>('SELECT * FROM containers WHERE id = ?'),
      byName: db.prepare<[string], ContainerRow>('SELECT * FROM containers WHERE name = ?'),
      byPrefix: db.prepare<[string], ContainerRow>("SELECT * FROM containers WHERE id LIKE ? ESCAPE '\\' LIMIT 2"),
      all: db.prepare<[], ContainerRow>('SELECT * FROM containers ORDER BY created_at DESC, rowid DESC'),
      // A running container first: it decides whether even a forced delete is refused.
      usingImage: db.prepare<[string], { id: string; status: ContainerStatus }>(
        `SELECT id, status FROM containers WHERE image_id = ?
          ORDER BY status IN ('running', 'paused', 'restarting') DESC, created_at LIMIT 1`,
      ),
      insert: db.prepare(
        `INSERT INTO containers (id, name, image_id, image_name, config, host_config, created_at, status)
         VALUES (@id, @name, @imageId, @imageName, @config, @hostConfig, @createdAt, 'created')`,
      ),
      setState: db.prepare(
        `UPDATE containers SET status = @status, pid = @pid, exit_code = @exitCode, error = @error,
                oom_killed = @oomKilled, started_at = @startedAt, finished_at = @finishedAt WHERE id = @id`,
      ),
      rename: db.prepare<[string, string]>('UPDATE containers SET name = ? WHERE id = ?'),
      setRestart: db.prepare<[number, number, string]>('UPDATE containers SET restart_count = ?, manually_stopped = ? WHERE id = ?'),
      setHostConfig: db.prepare<[string, string]>('UPDATE containers SET host_config = ? WHERE id = ?'),
      remove: db.prepare<[string]>('DELETE FROM containers WHERE id = ?'),
      countByStatus: db.prepare<[], { status: ContainerStatus; n: number }>('SELECT status, count(*) AS n FROM containers GROUP BY status'),
    };
  }

  get(id: string): Container | undefined {
    const row = this.q.byId.get(id);
    return row && fromRow(row);
  }

  byName(name: string): Container | undefined {
    const row = this.q.byName.get(name);
    return row && fromRow(row);
  }

  /** Containers whose ID starts with `prefix` (at most two: enough to tell unique from ambiguous). */
  byIdPrefix(prefix: string): Container[] {
    return this.q.byPrefix.all(`${prefix.replace(/[\\%_]/g, (m) => `\\${m}`)}%`).map(fromRow);
  }

  /** Newest first, as docker ps lists them. */
  list(): Container[] {
    return this.q.all.all().map(fromRow);
  }

  /** A container standing on the image, a running one if there is one. */
  imageInUse(imageId: string): { id: string; status: ContainerStatus } | undefined {
    return this.q.usingImage.get(imageId);
  }

  counts(): Map<ContainerStatus, number> {
    return new Map(this.q.countByStatus.all().map((r) => [r.status, r.n]));
  }

  insert(c: Container): void {
    try {
      this.q.insert.run({
        id: c.id,
        name: c.name,
        imageId: c.imageId,
        imageName: c.imageName,
        config: JSON.stringify(c.config),
        hostConfig: JSON.stringify(c.hostConfig),
        createdAt: c.createdAt,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw nameInUse(c.name, this.byName(c.name)?.id ?? '');
      throw err;
    }
  }

  /** What restart policies keep: the restarts so far and whether the user stopped it. */
  setRestart(id: string, restartCount: number, manuallyStopped: boolean): void {
    this.q.setRestart.run(restartCount, manuallyStopped ? 1 : 0, id);
  }

  setState(id: string, state: ContainerState): void {
    const res = this.q.setState.run({ id, ...state, oomKilled: state.oomKilled ? 1 : 0 });
    if (res.changes === 0) throw notFound(`No such container: ${id}`);
  }

  rename(id: string, name: string): void {
    try {
      this.q.rename.run(name, id);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameInUse(name, this.byName(name)?.id ?? '');
      throw err;
    }
  }

  remove(id: string): void {
    this.q.remove.run(id);
  }

  /** docker update: new limits (or restart policy) kept with the container. */
  setHostConfig(id: string, hostConfig: HostConfig): void {
    if (this.q.setHostConfig.run(JSON.stringify(hostConfig), id).changes === 0) throw notFound(`No such container: ${id}`);
  }
}

export function nameInUse(name: string, holder: string) {
  return conflict(
    `Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}
