// Many containers: 50 started 10 at a time; GET /containers/json with 1,000 containers present
// (100 of them running); kapald's RSS with those 100 running; run -d of sleep.

import { createContainer, measure, rssKiB, startContainer, startDaemon, type BenchDaemon, type Stats } from './harness.js';
import { loadFixture } from './fixture.js';

export interface ScaleResults {
  runDetached: Stats;
  start50: Stats;
  listContainers: Stats;
  listed: { total: number; running: number };
  kapaldRssRunningKiB: number;
}

async function removeAll(d: BenchDaemon): Promise<void> {
  const list = JSON.parse((await d.request('GET', '/containers/json?all=1')).body.toString()) as { Id: string }[];
  await inBatches(list.map((c) => c.Id), 10, (id) => d.request('DELETE', `/containers/${id}?force=1`).then(() => {}));
}

async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

export async function benchScale(quick: boolean): Promise<ScaleResults> {
  const d = await startDaemon('scale');
  try {
    await loadFixture(d);
    const runDetached = await measure(quick ? 5 : 20, async () => {
      await startContainer(d, await createContainer(d, ['sleep', '1000']));
    }, () => removeAll(d));
    await removeAll(d);

    const start50 = await measure(quick ? 1 : 3, async () => {
      await inBatches(Array.from({ length: 50 }, (_, i) => i), 10, async () => {
        await startContainer(d, await createContainer(d, ['sleep', '1000']));
      });
    }, () => removeAll(d), 0);
    await removeAll(d);

    const total = quick ? 200 : 1000;
    const running = total / 10;
    const ids: string[] = [];
    await inBatches(Array.from({ length: total }, (_, i) => i), 10, async () => {
      ids.push(await createContainer(d, ['sleep', '1000']));
    });
    await inBatches(ids.slice(0, running), 10, (id) => startContainer(d, id));
    await new Promise((r) => setTimeout(r, 1000));
    const kapaldRssRunningKiB = rssKiB(d.pid);
    const listContainers = await measure(quick ? 5 : 20, async () => {
      const res = await d.request('GET', '/containers/json?all=1');
      if (JSON.parse(res.body.toString()).length !== total) throw new Error('list is missing containers');
    });
    await removeAll(d);
    return { runDetached, start50, listContainers, listed: { total, running }, kapaldRssRunningKiB };
  } finally {
    await d.stop();
  }
}
