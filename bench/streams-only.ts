// npx tsx bench/streams-only.ts [--quick]: only the streams part of `npm run bench` (attach
// throughput and logs), for iterating on the output path. Build first (`npm run build`).

import { cleanUpAll } from './harness.js';
import { benchStreams } from './streams.js';

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUpAll().finally(() => process.exit(130)));

const quick = process.argv.includes('--quick');
const s = await benchStreams(quick);
const ms = (n: number) => `${n.toFixed(0)} ms`;
console.log(`attach ${(s.attachBytes / 1e6).toFixed(0)} MB: ${ms(s.attach.median)} (min ${ms(s.attach.min)}, max ${ms(s.attach.max)}, ${s.attach.runs} runs), ${s.attachMBps.toFixed(0)} MB/s`);
console.log(`logs ${(s.logsBytes / 1e6).toFixed(0)} MB: ${ms(s.logs.median)}, ${s.logsMBps.toFixed(0)} MB/s`);
