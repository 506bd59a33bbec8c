// The idle RSS of the smallest server on kapald's own libraries (fastify, @fastify/websocket,
// zod, pino, better-sqlite3, koffi), bundled as kapald is and trimmed as kapald trims: the floor
// under kapald's idle-RSS figure, measured in the same run (docs/architecture.md, Memory).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { NODE_BUNDLE } from '../src/build/bundle-options.js';
import { ROOT, withCleanup } from './harness.js';

const SERVER = `
import Fastify from 'fastify';
import websocket from '@fastify/websocket';
import { z } from 'zod';
import { pino } from 'pino';
import Database from 'better-sqlite3';
import koffi from 'koffi';
const [dir] = process.argv.slice(2);
const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t)');
const db = new Database(dir + '/floor.db');
db.exec('create table if not exists t (a text)');
const query = z.object({ a: z.string().optional() });
const app = Fastify({ loggerInstance: pino({ level: 'info' }) });
await app.register(websocket);
app.get('/_ping', async (req) => {
  query.parse(req.query);
  db.prepare('select count(*) from t').get();
  return 'OK';
});
let timer;
app.addHook('onResponse', async () => {
  clearTimeout(timer);
  timer = setTimeout(() => trim(0), 10000);
});
await app.listen({ path: dir + '/floor.sock' });
process.send('listening');
`;

/** Builds the floor server like dist/kapald.js, runs it, asks it 20 times, and returns its settled RSS. */
export async function measureFloorIdleRss(settledRss: (pid: number) => Promise<number>): Promise<number> {
  // Below the checkout, so the bundle finds the native addons in node_modules at run time.
  const cache = path.join(ROOT, 'node_modules/.cache/kapal-bench');
  mkdirSync(cache, { recursive: true });
  const bundle = path.join(cache, 'memory-floor.js');
  await build({ ...NODE_BUNDLE, stdin: { contents: SERVER, resolveDir: ROOT, loader: 'js' }, outfile: bundle });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-bench-floor-'));
  const proc = spawn(process.execPath, [bundle, dir], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const exited = new Promise((r) => proc.once('exit', r));
  return withCleanup(async () => {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }, async () => {
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve());
      proc.once('exit', (code) => reject(new Error(`the floor server exited ${code}`)));
    });
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        http.get({ socketPath: path.join(dir, 'floor.sock'), path: '/_ping' }, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    }
    return settledRss(proc.pid!);
  });
}
