// npm run bench [-- --quick]: measures kapal on this machine and prints a markdown table; the
// JSON goes to bench/results/ with the machine's facts. Numbers, never pass/fail.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { machineFacts, ROOT, type Stats } from './harness.js';
import { benchImages } from './images.js';
import { benchContainers } from './containers.js';
import { benchScale } from './scale.js';
import { benchStreams } from './streams.js';
import { benchExec } from './exec.js';
import { benchCli } from './cli.js';
import { benchFrozenShim } from './frozen-shim.js';
import { cleanUpAll } from './harness.js';

const quick = process.argv.includes('--quick');
const ms = (s: Stats) => `${s.median.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)}, ${s.runs} runs)`;

// Interrupted: stop every daemon this run started and the containers under them, then exit. The
// signal often comes twice (the terminal's, and tsx relaying it); the second must not cut the first.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: cleaning up`);
    void cleanUpAll().finally(() => process.exit(130));
  });
}

// kapald turns IP forwarding on, as dockerd does; a benchmark leaves the machine as it found it.
const forwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
process.on('exit', () => writeFileSync('/proc/sys/net/ipv4/ip_forward', forwarding));

const facts = machineFacts();
const images = await benchImages(quick);
const containers = await benchContainers(quick);
const scale = await benchScale(quick);
const streams = await benchStreams(quick);
const exec = await benchExec(quick);
const cli = await benchCli(quick);
const frozen = await benchFrozenShim(quick);
const mbps = (n: number) => `${n.toFixed(0)} MB/s`;
const kib = (n: number) => `${(n / 1024).toFixed(2)} MB`;

const rows: [string, string, string][] = [
  [`load a ${(images.sizeBytes / 1e6).toFixed(0)} MB image`, ms(images.load), `${images.loadMBps.toFixed(0)} MB/s; target ≤ 400 ms`],
  images.pull
    ? [`pull it from a loopback registry`, ms(images.pull), `${images.pullMBps!.toFixed(0)} MB/s; target ≥ 200 MB/s`]
    : ['pull from a loopback registry', 'skipped', images.pullSkipped ?? ''],
  ['create + start + wait + remove `true` (network none, API)', ms(containers.lifecycle), 'target ≤ 1.5 × crun run'],
  ['the same on the default bridge', ms(containers.lifecycleBridge), `bridge/none = ${(containers.lifecycleBridge.median / containers.lifecycle.median).toFixed(2)}; target ≤ 1.5`],
  containers.crun
    ? ['`crun run` of the same rootfs', ms(containers.crun), `kapal/crun = ${(containers.lifecycle.median / containers.crun.median).toFixed(2)}`]
    : ['`crun run` of the same rootfs', 'skipped', containers.crunSkipped ?? ''],
  ['kapal-shim RSS, one running container', kib(containers.shimRssKiB), 'target < 1 MB'],
  ['kapald RSS, idle', kib(containers.kapaldIdleRssKiB), `target < 60 MB; \`node\` alone 41 MB here; the same libraries serving one route: ${kib(containers.floorIdleRssKiB)} (docs/architecture.md)`],
  ['`run -d` of `sleep` (create + start)', ms(scale.runDetached), 'docker 167 ms, podman 85 ms'],
  ['50 containers started, 10 at a time', ms(scale.start50), 'docker 4.84 s, podman 2.99 s'],
  [`GET /containers/json, ${scale.listed.total} containers (${scale.listed.running} running)`, ms(scale.listContainers), ''],
  [`kapald RSS with ${scale.listed.running} running containers`, kib(scale.kapaldRssRunningKiB), ''],
  [`attach, ${(streams.attachBytes / 1e6).toFixed(0)} MB of output (non-TTY, log on)`, ms(streams.attach), `${mbps(streams.attachMBps)}; docker 51 MB/s, podman 167 MB/s`],
  [`logs of ${(streams.logsBytes / 1e6).toFixed(0)} MB (four rotated files)`, ms(streams.logs), `${mbps(streams.logsMBps)}; docker 13.7 MB/s, podman 22.5 MB/s`],
  ['`exec` of `true`, end to end (inspect, create, hijacked start, inspect)', ms(exec.execTrue), 'target ≤ 15 ms; docker 56 ms, podman 129 ms'],
  ['`kapal ps` wall time, 3 running containers', ms(cli.ps), `target ≤ 100 ms; \`node -e 0\` ${cli.nodeAlone.median.toFixed(0)} ms`],
  [
    `GET /containers/json, ${frozen.containers} containers, one shim SIGSTOPped`,
    `p50 ${frozen.oneFrozen.p50.toFixed(1)} ms, p99 ${frozen.oneFrozen.p99.toFixed(1)} ms (${frozen.oneFrozen.runs} requests)`,
    `target p99 < 100 ms; all running: p50 ${frozen.allRunning.p50.toFixed(1)}, p99 ${frozen.allRunning.p99.toFixed(1)} ms`,
  ],
];
console.log(`kapal benchmarks: ${facts.cores} cores, kernel ${facts.kernel}, cgroup v${facts.cgroup}, node ${facts.node}${quick ? ' (quick)' : ''}\n`);
console.log('| what | median | note |\n|---|---|---|');
for (const [what, value, note] of rows) console.log(`| ${what} | ${value} | ${note} |`);

const dir = path.join(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), quick, machine: facts, images, containers, scale, streams, exec, cli, frozen }, null, 2)}\n`);
console.log(`\nresults: ${path.relative(ROOT, file)}`);
