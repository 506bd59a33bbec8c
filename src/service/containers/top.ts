// docker top: the host's `ps` with the caller's arguments, narrowed to the container's processes
// (moby daemon/top_unix.go does the same). `ps` is a host program, never one from an image.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { invalidArgument } from '../../domain/errors.js';

const run = promisify(execFile);

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export async function top(pids: number[], psArgs: string): Promise<TopResult> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  let stdout: string;
  try {
    ({ stdout } = await run('ps', args, { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    throw invalidArgument(`ps: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  return parsePs(stdout, new Set(pids));
}

export function parsePs(output: string, pids: Set<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines.shift() ?? '').trim().split(/\s+/);
  const pidColumn = titles.indexOf('PID');
  if (pidColumn < 0) throw invalidArgument(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines) {
    const fields = line.trim().split(/\s+/);
    if (!pids.has(Number(fields[pidColumn]))) continue;
    // The last column (the command) may contain spaces: join what is left.
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}
