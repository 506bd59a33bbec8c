// Output streams: attach throughput (500 MB of printable output, non-TTY, the json-file log
// written as well) and reading 100 MB of logs back.

import net from 'node:net';
import { createContainer, measure, startContainer, startDaemon, type BenchDaemon, type Stats } from './harness.js';
import { loadFixture } from './fixture.js';

export interface StreamResults {
  attachBytes: number;
  attach: Stats;
  attachMBps: number;
  logsBytes: number;
  logs: Stats;
  logsMBps: number;
}

/** Bytes after the 101 headers of a hijacked attach, until the daemon ends the stream. */
function attachAndCount(d: BenchDaemon, id: string, started: () => Promise<void>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(d.socket);
    let headers = Buffer.alloc(0);
    let body = 0;
    let upgraded = false;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) {
        body += chunk.length;
        return;
      }
      headers = Buffer.concat([headers, chunk]);
      const end = headers.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      body += headers.length - end - 4;
      started().catch(reject);
    });
    socket.on('close', () => resolve(body));
    socket.write(`POST /containers/${id}/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
    socket.end(); // no stdin, as the docker CLI does
  });
}

/**
 * `bytes` (a multiple of 1 MB) of printable lines. The producer has to cost next to nothing or it
 * is what gets measured: `yes | head -c` alone makes about 220 MB/s here and takes a core and a
 * half of the two. So 1 MB of lines is made once and `cat` (sendfile) sends it again and again.
 */
const BLOCK = 1_000_000;
const printable = (bytes: number) => [
  'sh',
  '-c',
  `yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ | head -c ${BLOCK} > /lines; set --; ` +
    `i=0; while [ $i -lt ${Math.ceil(bytes / BLOCK)} ]; do set -- "$@" /lines; i=$((i+1)); done; exec cat "$@"`,
];

export async function benchStreams(quick: boolean): Promise<StreamResults> {
  const d = await startDaemon('streams');
  try {
    await loadFixture(d);
    const attachBytes = quick ? 100e6 : 500e6;
    let received = 0;
    const attach = await measure(quick ? 1 : 3, async () => {
      const id = await createContainer(d, printable(attachBytes));
      received = await attachAndCount(d, id, () => startContainer(d, id));
      await d.request('DELETE', `/containers/${id}?force=1`);
    }, async () => {}, 0);
    if (received < attachBytes) throw new Error(`attach delivered ${received} of ${attachBytes} bytes`);

    const logsBytes = 100e6;
    // About 210 MB of json-file records: kapal's default rotation (5 × 10 MB) would keep a quarter.
    // Four files of 64 MB keep all of it, and the read crosses three rotations.
    const id = await createContainer(d, printable(logsBytes), { LogConfig: { Type: 'json-file', Config: { 'max-size': '64m', 'max-file': '4' } } });
    const wait = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
    await startContainer(d, id);
    await wait;
    const logs = await measure(quick ? 2 : 5, async () => {
      const res = await d.request('GET', `/containers/${id}/logs?stdout=1`);
      if (res.body.length < logsBytes) throw new Error(`logs returned ${res.body.length} bytes`);
    });
    await d.request('DELETE', `/containers/${id}?force=1`);
    return {
      attachBytes,
      attach,
      attachMBps: attachBytes / 1e6 / (attach.median / 1000),
      logsBytes,
      logs,
      logsMBps: logsBytes / 1e6 / (logs.median / 1000),
    };
  } finally {
    await d.stop();
  }
}
