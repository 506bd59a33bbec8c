// Schema migrations: migrations/NNNN_verb_noun.sql, applied in order, one transaction each,
// progress kept in PRAGMA user_version. A database from a newer kapald is refused.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { installPath } from '../install-root.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export class SchemaError extends Error {
  override name = 'SchemaError';
}

/** migrations/ at the top of the checkout. */
export const MIGRATIONS_DIR = installPath('migrations');

const FILE_NAME = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .sort()
    .map((file) => {
      const m = FILE_NAME.exec(file);
      if (!m) throw new SchemaError(`unexpected file in ${dir}: ${file} (expected NNNN_verb_noun.sql)`);
      return { version: Number(m[1]), name: m[2]!, sql: readFileSync(path.join(dir, file), 'utf8') };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new SchemaError(`migrations must be numbered 0001 upwards without gaps; found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies what is missing; returns the versions applied. */
export function migrate(db: Database.Database, migrations: Migration[], file: string): number[] {
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    throw new SchemaError(
      `database ${file} has schema version ${current}, newer than this kapald supports (${latest}); ` +
        'it was written by a newer kapald: upgrade kapald instead of downgrading',
    );
  }
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
