// Opens kapald's SQLite database: WAL, foreign keys, a busy timeout, then migrations.

import Database from 'better-sqlite3';
import { loadMigrations, migrate, MIGRATIONS_DIR } from './migrate.js';

export type Db = Database.Database;

export function openDatabase(file: string, migrationsDir: string = MIGRATIONS_DIR): Db {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, loadMigrations(migrationsDir), file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens the database to read only (the leak checker): nothing is migrated or written. A database
 * at another schema version than this kapal's is refused, as its rows could not be read right.
 */
export function openDatabaseReadOnly(file: string, migrationsDir: string = MIGRATIONS_DIR): Db {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const version = Number(db.pragma('user_version', { simple: true }));
    const latest = loadMigrations(migrationsDir).length;
    if (version !== latest) throw new Error(`database ${file} has schema version ${version}; this kapal reads version ${latest}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
