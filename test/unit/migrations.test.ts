import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { openDatabase } from '../../src/store/database.js';
import { loadMigrations, migrate, schemaVersion } from '../../src/store/migrate.js';
import { EngineStore } from '../../src/store/engine-store.js';
import { makeTempDir } from '../helpers/daemon.js';

t.test('every migration applies, in order, to an empty database', async (t) => {
  const dir = makeTempDir(t, 'migrate');
  const file = path.join(dir, 'kapal.db');
  const migrations = loadMigrations();
  t.ok(migrations.length >= 1);
  t.same(migrations.map((m) => m.version), migrations.map((_, i) => i + 1), 'numbered 1..N without gaps');
  const db = new Database(file);
  t.teardown(() => db.close());
  // One at a time, so each migration is shown to apply on top of the previous ones.
  for (let i = 1; i <= migrations.length; i++) {
    t.same(migrate(db, migrations.slice(0, i), file), [i], `migration ${migrations[i - 1]!.version}_${migrations[i - 1]!.name}`);
    t.equal(schemaVersion(db), i);
    t.equal(db.pragma('foreign_key_check').length, 0);
  }
  t.same(migrate(db, migrations, file), [], 'applying again does nothing');
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
});

t.test('openDatabase turns on WAL, foreign keys and a busy timeout', async (t) => {
  const dir = makeTempDir(t, 'opendb');
  const db = openDatabase(path.join(dir, 'kapal.db'));
  t.teardown(() => db.close());
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.pragma('foreign_keys', { simple: true }), 1);
  t.equal(db.pragma('busy_timeout', { simple: true }), 5000);
  t.equal(schemaVersion(db), loadMigrations().length);
});

t.test('a database written by a newer kapald is refused and left untouched', async (t) => {
  const dir = makeTempDir(t, 'newerdb');
  const file = path.join(dir, 'kapal.db');
  const raw = new Database(file);
  raw.pragma(`user_version = ${loadMigrations().length + 5}`);
  raw.close();
  t.throws(() => openDatabase(file), /has schema version \d+, newer than this kapald supports/);
  const after = new Database(file);
  t.equal(schemaVersion(after), loadMigrations().length + 5);
  after.close();
});

t.test('a failing migration rolls back and leaves the version where it was', async (t) => {
  const dir = makeTempDir(t, 'badmigration');
  const migrations = path.join(dir, 'migrations');
  mkdirSync(migrations);
  writeFileSync(path.join(migrations, '0001_create_a.sql'), 'CREATE TABLE a (x INTEGER);');
  writeFileSync(path.join(migrations, '0002_break_things.sql'), 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);');
  t.throws(() => openDatabase(path.join(dir, 'kapal.db'), migrations), /no such table: nowhere/);
  const db = new Database(path.join(dir, 'kapal.db'));
  t.teardown(() => db.close());
  t.equal(schemaVersion(db), 1);
  t.same(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").all(), [], 'table b was rolled back');
});

t.test('migration files must be named NNNN_verb_noun.sql and numbered without gaps', async (t) => {
  const dir = makeTempDir(t, 'migrationnames');
  writeFileSync(path.join(dir, '0001_create_a.sql'), '');
  writeFileSync(path.join(dir, '0003_create_c.sql'), '');
  t.throws(() => loadMigrations(dir), /without gaps/);
  writeFileSync(path.join(dir, 'notes.txt'), '');
  t.throws(() => loadMigrations(dir), /unexpected file .*notes\.txt/);
});

t.test('the engine ID is created once and survives reopening', async (t) => {
  const dir = makeTempDir(t, 'engineid');
  const file = path.join(dir, 'kapal.db');
  const db1 = openDatabase(file);
  const id = new EngineStore(db1).id();
  t.equal(new EngineStore(db1).id(), id);
  db1.close();
  const db2 = openDatabase(file);
  t.equal(new EngineStore(db2).id(), id);
  db2.close();
});

t.test('0004 creates the events table: strict columns, a time index, seqs never reused after a delete', async (t) => {
  const dir = makeTempDir(t, 'events-migration');
  const db = openDatabase(path.join(dir, 'kapal.db'));
  t.teardown(() => db.close());
  const columns = db.prepare("SELECT name, type, \"notnull\" AS nn FROM pragma_table_info('events')").all();
  t.same(columns, [
    { name: 'seq', type: 'INTEGER', nn: 0 },
    { name: 'time_nano', type: 'INTEGER', nn: 1 },
    { name: 'type', type: 'TEXT', nn: 1 },
    { name: 'action', type: 'TEXT', nn: 1 },
    { name: 'actor_id', type: 'TEXT', nn: 1 },
    { name: 'attributes', type: 'TEXT', nn: 1 },
  ]);
  t.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_by_time'").get());
  const insert = db.prepare("INSERT INTO events (time_nano, type, action, actor_id, attributes) VALUES (?, 'image', 'tag', 'x', '{}')");
  insert.run(1n);
  insert.run(2n);
  db.exec('DELETE FROM events');
  t.equal(Number(insert.run(3n).lastInsertRowid), 3, 'AUTOINCREMENT: a deleted seq is not given again');
  t.throws(() => db.prepare("INSERT INTO events (time_nano, type, action, actor_id, attributes) VALUES ('soon', 'image', 'tag', 'x', '{}')").run(), /cannot store TEXT value in INTEGER column/);
});
