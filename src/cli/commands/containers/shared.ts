// What several container verbs share: create with docker run's pull of a missing image, waiting
// for an exit, the exit status docker run gives a failed start, reading a whole JSON answer.

import type { IncomingMessage } from 'node:http';
import type { ApiClient } from '../../client.js';
import { DaemonError } from '../../client.js';
import type { CreateRequest } from './create-options.js';

export async function readJson<T>(res: IncomingMessage): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** The image reference as docker prints it in "Unable to find image 'busybox:latest' locally". */
function withTag(image: string): string {
  if (image.includes('@')) return image;
  const last = image.slice(image.lastIndexOf('/') + 1);
  return last.includes(':') ? image : `${image}:latest`;
}

/** Pulls `image`, its progress on stderr as docker run shows it (bars on a terminal). */
export async function pullImage(api: ApiClient, image: string, quiet: boolean): Promise<void> {
  const { displayJsonMessages } = await import('../images/progress.js');
  const ref = withTag(image);
  const at = ref.includes('@') ? ref.lastIndexOf('@') : ref.lastIndexOf(':');
  const query = new URLSearchParams({ fromImage: ref.slice(0, at), tag: ref.slice(at + 1) });
  const res = await api.stream('POST', `/images/create?${query}`);
  const err = process.stderr;
  await displayJsonMessages(res, quiet ? undefined : { write: (t) => err.write(t), isTTY: err.isTTY === true, columns: () => err.columns ?? 200 });
}

/** POST /containers/create; a missing image is pulled first as docker run does (--pull). */
export async function createContainer(api: ApiClient, req: CreateRequest, opts: { pull: string; quiet: boolean }): Promise<string> {
  const image = String(req.body.Image);
  const url = `/containers/create${req.name ? `?name=${encodeURIComponent(req.name)}` : ''}`;
  if (!['missing', 'always', 'never'].includes(opts.pull)) throw new Error(`invalid pull option: '${opts.pull}': must be one of "always", "missing" or "never"`);
  if (opts.pull === 'always') await pullImage(api, image, opts.quiet);
  let created: { Id: string; Warnings?: string[] | null };
  try {
    created = await api.json('POST', url, req.body);
  } catch (err) {
    if (!(err instanceof DaemonError && err.status === 404 && /^No such image/.test(err.message)) || opts.pull !== 'missing') throw err;
    process.stderr.write(`Unable to find image '${withTag(image)}' locally\n`);
    await pullImage(api, image, opts.quiet);
    created = await api.json('POST', url, req.body);
  }
  for (const w of created.Warnings ?? []) process.stderr.write(`WARNING: ${w}\n`);
  return created.Id;
}

/** POST /containers/{id}/wait, registered before the caller goes on; `cancel` lets go of it. */
export async function waitForExit(api: ApiClient, id: string, condition: string): Promise<{ status: Promise<number>; cancel(): void }> {
  const abort = new AbortController();
  const res = await api.stream('POST', `/containers/${encodeURIComponent(id)}/wait?condition=${condition}`, { signal: abort.signal });
  const status = readJson<{ StatusCode: number }>(res).then((r) => r.StatusCode);
  status.catch(() => {});
  return { status, cancel: () => abort.abort() };
}

/** docker run's exit status for a container that could not start: 126, 127, else 125. */
export function startFailureStatus(message: string): number {
  if (/executable file not found|no such file or directory/.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 125;
}
