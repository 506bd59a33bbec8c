// The engine's identity row.

import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';

export class EngineStore {
  private readonly select;
  private readonly insert;

  constructor(db: Db) {
    this.select = db.prepare<[], { id: string }>('SELECT id FROM engine WHERE singleton = 1');
    this.insert = db.prepare('INSERT OR IGNORE INTO engine (singleton, id, created_at) VALUES (1, ?, ?)');
  }

  /** The daemon's ID, created on first use and stable across restarts. */
  id(): string {
    const row = this.select.get();
    if (row) return row.id;
    this.insert.run(randomUUID(), new Date().toISOString());
    return this.select.get()!.id;
  }
}
