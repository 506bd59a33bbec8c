// kapald's reader of the shim's output frames: whatever the chunking on the socket (a frame cut
// anywhere, several frames per read, empty payloads), stdout, stderr and the exit come out whole
// and in order.

import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import t from 'tap';
import { ShimConnection } from '../../src/runtime/shim/connection.js';
import { ShimOutputMsg, encodeFrame, type ShimExit } from '../../src/runtime/shim/protocol.js';

async function deliver(stream: Buffer, cuts: number[]): Promise<{ stdout: string; stderr: string; exit: ShimExit | undefined }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-shimconn-'));
  const sock = path.join(dir, 'sock');
  const server = net.createServer(async (c) => {
    let from = 0;
    for (const cut of [...cuts, stream.length]) {
      c.write(stream.subarray(from, cut));
      from = cut;
      await new Promise((r) => setTimeout(r, 2)); // separate reads on the other side
    }
    c.end();
  });
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    const socket = net.connect(sock);
    await new Promise((r) => socket.once('connect', r));
    return await new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      ShimConnection.adopt(socket, {
        stdout: (b) => (stdout += b.toString()),
        stderr: (b) => (stderr += b.toString()),
        end: (exit) => resolve({ stdout, stderr, exit }),
      });
    });
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const exit: ShimExit = { exitCode: 3, signal: 0, oomKilled: false, finishedAt: '2026-11-29T00:00:00Z', pid: 42 };
const stream = Buffer.concat([
  encodeFrame(ShimOutputMsg.OUT_STDOUT, Buffer.from('hello ')),
  encodeFrame(ShimOutputMsg.OUT_STDERR, Buffer.from('oops\n')),
  encodeFrame(ShimOutputMsg.OUT_STDOUT, Buffer.alloc(0)),
  encodeFrame(ShimOutputMsg.OUT_STDOUT, Buffer.alloc(32768, 'x')),
  encodeFrame(ShimOutputMsg.OUT_STDOUT, Buffer.from('world\n')),
  encodeFrame(ShimOutputMsg.OUT_EXIT, Buffer.from(JSON.stringify(exit))),
]);
const want = { stdout: `hello ${'x'.repeat(32768)}world\n`, stderr: 'oops\n', exit };

t.test('frames in one piece', async (t) => {
  t.same(await deliver(stream, []), want);
});

t.test('frames cut inside headers, inside payloads and between frames', async (t) => {
  for (const cuts of [[1], [3, 4, 5, 6], [12], [11, 13, 30], [40, 20000, 30000], [stream.length - 3]]) {
    t.same(await deliver(stream, cuts), want, `cut at ${cuts.join(',')}`);
  }
});

t.test('every byte in its own read', async (t) => {
  const small = Buffer.concat([encodeFrame(ShimOutputMsg.OUT_STDOUT, Buffer.from('ab')), encodeFrame(ShimOutputMsg.OUT_STDERR, Buffer.from('c'))]);
  const cuts = Array.from({ length: small.length - 1 }, (_, i) => i + 1);
  t.same(await deliver(small, cuts), { stdout: 'ab', stderr: 'c', exit: undefined });
});
