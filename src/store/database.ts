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
