// docker exec of `true`, end to end as the docker CLI does it: inspect the container, create the
// exec, start it hijacked (stdout and stderr attached) until the stream closes, read ExitCode.

import net from 'node:net';
import { createContainer, measure, startContainer, startDaemon, type BenchDaemon, type Stats } from './harness.js';
import { loadFixture } from './fixture.js';

export interface ExecResults {
  execTrue: Stats;
}

const json = { 'Content-Type': 'application/json' };

/** POST /exec/{id}/start with Upgrade: tcp, half-closed at once (no stdin); resolves at the close. */
function startHijacked(d: BenchDaemon, execId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = '{"Detach":false,"Tty":false}';
    const socket = net.connect(d.socket);
    socket.on('error', reject);
    socket.on('data', () => {});
    socket.on('close', () => resolve());
    socket.write(`POST /exec/${execId}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    socket.end();
  });
}

export async function execTrue(d: BenchDaemon, container: string): Promise<void> {
  await d.request('GET', `/containers/${container}/json`);
  const created = await d.request('POST', `/containers/${container}/exec`, Buffer.from(JSON.stringify({ Cmd: ['true'], AttachStdout: true, AttachStderr: true })), json);
  if (created.status !== 201) throw new Error(`exec create: ${created.status} ${created.body}`);
  const id = JSON.parse(created.body.toString()).Id as string;
  await startHijacked(d, id);
  const doc = JSON.parse((await d.request('GET', `/exec/${id}/json`)).body.toString());
  if (doc.ExitCode !== 0) throw new Error(`exec of true exited ${doc.ExitCode}`);
}

export async function benchExec(quick: boolean): Promise<ExecResults> {
  const d = await startDaemon('exec');
  try {
    await loadFixture(d);
    const container = await createContainer(d, ['sleep', '1000']);
    await startContainer(d, container);
    const execTrueStats = await measure(quick ? 10 : 50, () => execTrue(d, container), async () => {}, 3);
    return { execTrue: execTrueStats };
  } finally {
    await d.stop();
  }
}
