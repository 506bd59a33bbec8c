// The kapal CLI's start-up: `kapal ps` wall time (spawn to exit) against a kapald with a few
// containers, and `node -e 0` on the same machine for the floor Node itself sets.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createContainer, measure, startContainer, startDaemon, ROOT, type Stats } from './harness.js';
import { loadFixture } from './fixture.js';

export interface CliResults {
  ps: Stats;
  nodeAlone: Stats;
}

function run(argv: string[]): void {
  const r = spawnSync(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
}

export async function benchCli(quick: boolean): Promise<CliResults> {
  const d = await startDaemon('cli');
  try {
    await loadFixture(d);
    for (let i = 0; i < 3; i++) await startContainer(d, await createContainer(d, ['sleep', '1000']));
    const kapal = path.join(ROOT, 'bin/kapal');
    const runs = quick ? 10 : 30;
    const ps = await measure(runs, async () => run([kapal, '-H', `unix://${d.socket}`, 'ps']), async () => {}, 3);
    const nodeAlone = await measure(runs, async () => run(['-e', '0']), async () => {}, 3);
    return { ps, nodeAlone };
  } finally {
    await d.stop();
  }
}
