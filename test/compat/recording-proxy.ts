// A Unix-socket pass-through in front of a test kapald that notes the request line of every
// request a real client sends ("GET /v1.49/version"), so a compat test can check which paths,
// versioned or not, the client actually used. Bytes are forwarded untouched in both directions.

import net from 'node:net';
import path from 'node:path';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface RecordingProxy {
  /** Point the client here instead of at the daemon's socket. */
  socket: string;
  /** "METHOD /path?query" for every request seen so far, in order of arrival. */
  requests: string[];
}

const REQUEST_LINE = /^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS) (\S+) HTTP\/1\.[01]$/;

export async function startRecordingProxy(t: Teardown, dir: string, target: string): Promise<RecordingProxy> {
  const socketPath = path.join(dir, 'proxy.sock');
  const requests: string[] = [];
  const open = new Set<net.Socket>();
  // Half-open like the daemon's own sockets: a client that half-closes its side (docker's
  // hijacked streams do, when their stdin ends) still gets the rest of the output.
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect(target);
    open.add(client).add(upstream);
    // Request lines are noted as soon as they arrive, before the bytes go on, so a test that
    // reads `requests` after the client has its answer never races the recording.
    let partial = '';
    client.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('latin1')).split('\r\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const m = REQUEST_LINE.exec(line);
        if (m) requests.push(`${m[1]} ${m[2]}`);
      }
      upstream.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.pipe(client);
    for (const s of [client, upstream]) {
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => open.delete(s));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { socket: socketPath, requests };
}
