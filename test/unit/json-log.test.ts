// readLog over real files rotated the way kapal-shim rotates them (<log>.1 is the newest rotated
// file): whole reads oldest file first, tails that cross files, and a follower across rotations.

import { appendFileSync, linkSync, mkdtempSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { readLog, type LogQuery } from '../../src/runtime/json-log.js';

const record = (n: number, stream = 'stdout') => `{"log":"${n}\\n","stream":"${stream}","time":"2026-11-29T18:29:47.${String(n).padStart(9, '0')}Z"}\n`;
const records = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => record(from + i)).join('');
const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');

function logDir(t: Parameters<Parameters<typeof t.test>[1]>[0]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-json-log-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'c-json.log');
}

/** As the shim does it: .k → .k+1, the current file also becomes .1, a new file replaces it. */
function rotate(file: string): void {
  let top = 1;
  while (existsSync(`${file}.${top}`)) top++;
  for (let i = top; i >= 2; i--) renameSync(`${file}.${i - 1}`, `${file}.${i}`);
  linkSync(file, `${file}.1`);
  writeFileSync(`${file}.next`, '');
  renameSync(`${file}.next`, file);
}

const query = (q: Partial<LogQuery> = {}): LogQuery => ({ stdout: true, stderr: true, since: 0, until: 0, timestamps: false, tail: -1, follow: false, ...q });

async function collect(file: string, q: LogQuery, running: () => boolean = () => false): Promise<string> {
  let out = '';
  for await (const c of readLog(file, q, running)) out += c.data.toString();
  return out;
}

t.test('a whole read takes the rotated files oldest first, then the current one; tails count across files', async (t) => {
  const file = logDir(t);
  t.equal(await collect(file, query()), '', 'no file yet: nothing');
  writeFileSync(file, records(1, 10));
  rotate(file);
  appendFileSync(file, records(11, 20));
  rotate(file);
  appendFileSync(file, records(21, 25) + record(26).slice(0, 30)); // a torn last line: not a record yet
  t.equal(await collect(file, query()), numbers(1, 25));
  t.equal(await collect(file, query({ tail: 3 })), numbers(23, 25));
  t.equal(await collect(file, query({ tail: 12 })), numbers(14, 25), 'from the middle of .1');
  t.equal(await collect(file, query({ tail: 22 })), numbers(4, 25), 'from the middle of .2');
  t.equal(await collect(file, query({ tail: 1000 })), numbers(1, 25));
  t.equal(await collect(file, query({ tail: 0 })), '');
  appendFileSync(file, record(26).slice(30) + record(27, 'stderr'));
  t.equal(await collect(file, query({ tail: 2, stderr: false })), numbers(25, 26), 'tail counts the records the streams keep');
});

t.test('a follower crosses rotations, one or many between its reads, and gets every line once', async (t) => {
  const file = logDir(t);
  writeFileSync(file, records(1, 5));
  let done = false;
  const follower = readLog(file, query({ follow: true, tail: 2 }), () => !done);
  const first = await follower.next(); // the tail, read before anything else is written
  t.equal(first.value?.data.toString(), numbers(4, 5));
  const reading = (async () => {
    let out = '';
    for await (const c of follower) out += c.data.toString();
    return out;
  })();
  const tick = () => new Promise((r) => setTimeout(r, 15));
  let n = 5;
  for (let round = 0; round < 12; round++) {
    appendFileSync(file, records(n + 1, n + 50));
    n += 50;
    for (let i = 0; i < round % 4; i++) {
      rotate(file); // several rotations before the follower looks again
      appendFileSync(file, records(n + 1, n + 7));
      n += 7;
    }
    await tick();
  }
  done = true;
  t.equal(await reading, numbers(6, n));
});

t.test('a follower holding a file that was replaced (max-file 1) reads it to the end first', async (t) => {
  const file = logDir(t);
  writeFileSync(file, records(1, 3));
  let done = false;
  const reading = collect(file, query({ follow: true }), () => !done);
  await new Promise((r) => setTimeout(r, 80));
  appendFileSync(file, records(4, 6)); // written just before the replacement: only in the old file
  writeFileSync(`${file}.next`, records(7, 9));
  renameSync(`${file}.next`, file);
  await new Promise((r) => setTimeout(r, 80));
  done = true;
  t.equal(await reading, numbers(1, 9));
});
