// npx tsx bench/frozen-shim-only.ts [--quick]: only the frozen-shim part of `npm run bench`
// (GET /containers/json p50/p99 with one shim SIGSTOPped). Build first (`npm run build`).

import { cleanUpAll } from './harness.js';
import { benchFrozenShim } from './frozen-shim.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUpAll().finally(() => process.exit(130)));

const quick = process.argv.includes('--quick');
const r = await benchFrozenShim(quick);
const ms = (n: number) => `${n.toFixed(1)} ms`;
for (const [what, p] of [['all shims running', r.allRunning], ['one shim SIGSTOPped', r.oneFrozen]] as const) {
  console.log(`GET /containers/json, ${r.containers} containers, ${what}: p50 ${ms(p.p50)}, p99 ${ms(p.p99)}, max ${ms(p.max)} (${p.runs} requests; target p99 < 100 ms)`);
}
