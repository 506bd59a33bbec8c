// GET /containers/json latency with 10 running containers, first with every shim running, then
// with one shim frozen by SIGSTOP: list and inspect never ask a shim anything, so a stuck shim
// must not show in the figures. Percentiles over many sequential requests; target p99 < 100 ms.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { shimsOf } from '../test/helpers/leftovers.js';
import { createContainer, startContainer, startDaemon, withCleanup, type BenchDaemon } from './harness.js';
import { loadFixture } from './fixture.js';

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  runs: number;
}

export interface FrozenShimResults {
  containers: number;
  allRunning: Percentiles;
  oneFrozen: Percentiles;
}

const CONTAINERS = 10;

function percentiles(times: number[]): Percentiles {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]!, runs: sorted.length };
}

async function listLatencies(d: BenchDaemon, runs: number): Promise<Percentiles> {
  const times: number[] = [];
  for (let i = 0; i < runs + 20; i++) {
    const start = process.hrtime.bigint();
    const res = await d.request('GET', '/containers/json');
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.status !== 200 || JSON.parse(res.body.toString()).length !== CONTAINERS) throw new Error(`list: ${res.status}`);
    if (i >= 20) times.push(ms); // the first 20 warm up
  }
  return percentiles(times);
}

/** The shim serving container `id` (its command line names the container's directory). */
function shimOf(d: BenchDaemon, id: string): number {
  const shim = shimsOf(path.join(d.dir, 'exec')).find((pid) => {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[1] === 'run' && argv.some((a) => a.includes(id));
  });
  if (shim === undefined) throw new Error(`no shim found for ${id}`);
  return shim;
}

export async function benchFrozenShim(quick: boolean): Promise<FrozenShimResults> {
  const runs = quick ? 200 : 1000;
  const d = await startDaemon('frozen-shim');
  try {
    await loadFixture(d);
    const ids: string[] = [];
    for (let i = 0; i < CONTAINERS; i++) {
      const id = await createContainer(d, ['sleep', '1000']);
      await startContainer(d, id);
      ids.push(id);
    }
    const allRunning = await listLatencies(d, runs);
    const shim = shimOf(d, ids[0]!);
    process.kill(shim, 'SIGSTOP');
    // Thawed again whatever happens, also when the run is interrupted.
    const oneFrozen = await withCleanup(() => process.kill(shim, 'SIGCONT'), () => listLatencies(d, runs));
    return { containers: CONTAINERS, allRunning, oneFrozen };
  } finally {
    await d.stop();
  }
}
