// Volumes and the containers that mount them, in SQLite.

import type { Volume } from '../domain/volume.js';
import type { Db } from './database.js';

interface VolumeRow {
  name: string;
  driver: 'local';
  labels: string;
  options: string;
  anonymous: number;
  created_at: string;
}

const fromRow = (r: VolumeRow): Volume => ({
  name: r.name,
  driver: r.driver,
  labels: JSON.parse(r.labels),
  options: JSON.parse(r.options),
  anonymous: r.anonymous === 1,
  createdAt: r.created_at,
});

export class VolumeStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      get: db.prepare<[string], VolumeRow>('SELECT * FROM volumes WHERE name = ?'),
      all: db.prepare<[], VolumeRow>('SELECT * FROM volumes ORDER BY created_at, name'),
      insert: db.prepare(
        'INSERT OR IGNORE INTO volumes (name, driver, labels, options, anonymous, created_at) VALUES (@name, @driver, @labels, @options, @anonymous, @createdAt)',
      ),
      remove: db.prepare<[string]>('DELETE FROM volumes WHERE name = ?'),
      users: db.prepare<[string], { container_id: string }>('SELECT DISTINCT container_id FROM container_volumes WHERE volume_name = ? ORDER BY container_id'),
      attach: db.prepare('INSERT INTO container_volumes (container_id, volume_name, target) VALUES (@containerId, @name, @target)'),
      of: db.prepare<[string], { volume_name: string; target: string }>('SELECT volume_name, target FROM container_volumes WHERE container_id = ?'),
      running: db.prepare<[string], { container_id: string }>(
        "SELECT DISTINCT v.container_id FROM container_volumes v JOIN containers c ON c.id = v.container_id WHERE v.volume_name = ? AND c.status IN ('running', 'paused', 'restarting')",
      ),
      inUse: db.prepare<[], { volume_name: string }>('SELECT DISTINCT volume_name FROM container_volumes'),
    };
  }

  get(name: string): Volume | undefined {
    const row = this.q.get.get(name);
    return row && fromRow(row);
  }

  list(): Volume[] {
    return this.q.all.all().map(fromRow);
  }

  /** Adds the volume unless one of that name exists; returns the stored one. */
  insert(v: Volume): Volume {
    this.q.insert.run({ ...v, labels: JSON.stringify(v.labels), options: JSON.stringify(v.options), anonymous: v.anonymous ? 1 : 0 });
    return this.get(v.name)!;
  }

  remove(name: string): void {
    this.q.remove.run(name);
  }

  /** IDs of the containers (running or not) that mount the volume. */
  usersOf(name: string): string[] {
    return this.q.users.all(name).map((r) => r.container_id);
  }

  /** IDs of the running (or paused) containers that mount the volume. */
  runningUsersOf(name: string): string[] {
    return this.q.running.all(name).map((r) => r.container_id);
  }

  namesInUse(): Set<string> {
    return new Set(this.q.inUse.all().map((r) => r.volume_name));
  }

  attach(containerId: string, name: string, target: string): void {
    this.q.attach.run({ containerId, name, target });
  }

  /** The volumes a container mounts, by where it mounts them. */
  volumesOf(containerId: string): Map<string, string> {
    return new Map(this.q.of.all(containerId).map((r) => [r.target, r.volume_name]));
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
