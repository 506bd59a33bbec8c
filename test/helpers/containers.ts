// Helpers for tests that run real containers through a real kapald: load the busybox fixture,
// create/start/wait over the API, read logs, and a raw hijacked attach.

import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { TestDaemon } from './daemon.js';
import { buildFixtureImage, type FixtureImage } from './images.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function loadBusybox(t: Teardown, d: TestDaemon): Promise<FixtureImage> {
  const fixture = buildFixtureImage(t);
  const res = await d.request('POST', '/images/load?quiet=1', { body: readFileSync(path.join(fixture.dir, 'busybox.tar')), headers: { 'Content-Type': 'application/x-tar' } });
  if (res.status !== 200 || !res.text.includes('Loaded image')) throw new Error(`load failed: ${res.status} ${res.text}`);
  return fixture;
}

export async function create(d: TestDaemon, body: Record<string, unknown>, name?: string): Promise<string> {
  const res = await d.request('POST', `/containers/create${name ? `?name=${name}` : ''}`, {
    body: JSON.stringify({ Image: 'busybox', ...body }),
    headers: { 'Content-Type': 'application/json' },
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.json().Id;
}

export async function inspect(d: TestDaemon, id: string): Promise<any> {
  const res = await d.request('GET', `/containers/${id}/json`);
  if (res.status !== 200) throw new Error(`inspect failed: ${res.status} ${res.text}`);
  return res.json();
}

/** Demultiplexes a stdcopy body into stdout and stderr text. */
export function demux(body: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let off = 0; off + 8 <= body.length; ) {
    const len = body.readUInt32BE(off + 4);
    const payload = body.subarray(off + 8, off + 8 + len).toString('utf8');
    if (body[off] === 2) out.stderr += payload;
    else out.stdout += payload;
    off += 8 + len;
  }
  return out;
}

export async function logs(d: TestDaemon, id: string, query = 'stdout=1&stderr=1'): Promise<{ stdout: string; stderr: string }> {
  const res = await d.request('GET', `/containers/${id}/logs?${query}`);
  if (res.status !== 200) throw new Error(`logs failed: ${res.status} ${res.text}`);
  return demux(res.body);
}

/** Creates, starts and waits for a container; returns its exit code and output. */
export async function run(d: TestDaemon, body: Record<string, unknown>): Promise<{ id: string; code: number; stdout: string; stderr: string }> {
  const id = await create(d, body);
  const waiting = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
  const start = await d.request('POST', `/containers/${id}/start`);
  if (start.status !== 204) throw new Error(`start failed: ${start.status} ${start.text}`);
  const code = (await waiting).json().StatusCode as number;
  return { id, code, ...(await logs(d, id)) };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A hijacked attach: resolves once the 101 arrived; `output` collects the raw stream after it. */
export function hijack(socketPath: string, urlPath: string, body = '', contentType = 'text/plain'): Promise<{ socket: net.Socket; output: () => Buffer; ended: Promise<void>; status: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let buf = Buffer.alloc(0);
    let headerDone = false;
    let resolveEnded!: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    socket.on('error', reject);
    socket.on('close', () => resolveEnded());
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (headerDone) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      const status = Number(buf.subarray(0, end).toString().split(' ')[1]);
      buf = buf.subarray(end + 4);
      resolve({ socket, output: () => buf, ended, status });
    });
    socket.write(
      `POST ${urlPath} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}
