// IdleTrim: malloc_trim once kapald has been quiet for a while after work, never while requests
// keep coming, and the real libc call runs.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdleTrim } from '../../src/daemon/idle-trim.js';
import { mallocTrim } from '../../src/runtime/libc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('one trim after the quiet period, pushed back by more work', async (t) => {
  let trims = 0;
  const idle = new IdleTrim(150, () => trims++);
  t.teardown(() => idle.close());
  await sleep(200);
  t.equal(trims, 0, 'nothing happened: no trim');
  idle.touch();
  for (let i = 0; i < 4; i++) {
    await sleep(60);
    idle.touch();
  }
  t.equal(trims, 0, 'work every 60 ms keeps it waiting');
  await sleep(250);
  t.equal(trims, 1, 'quiet for the period: one trim');
  await sleep(250);
  t.equal(trims, 1, 'and no more without new work');
  idle.touch();
  await sleep(250);
  t.equal(trims, 2, 'new work, new trim');
});

t.test('close() cancels a pending trim', async (t) => {
  let trims = 0;
  const idle = new IdleTrim(50, () => trims++);
  idle.touch();
  idle.close();
  await sleep(120);
  t.equal(trims, 0);
});

t.test('a request that ends counts as work', async (t) => {
  let trims = 0;
  const idle = new IdleTrim(100, () => trims++);
  t.teardown(() => idle.close());
  const server = http.createServer((_req, res) => setTimeout(() => res.end('ok'), 150));
  idle.watch(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as AddressInfo;
  const answered = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  await sleep(120);
  t.equal(trims, 0, 'a request in flight is not an end of work');
  t.equal(await answered, 'ok');
  await sleep(200);
  t.equal(trims, 1, 'trimmed after it ended');
});

t.test('malloc_trim itself', async (t) => {
  t.doesNotThrow(() => mallocTrim());
});
