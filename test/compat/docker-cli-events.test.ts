// The real docker CLI's `docker events` on kapald: a replay (--since/--until) of what docker run
// and rm did, in the CLI's default format and through --format and --filter, and a live stream.

import t, { type Test } from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/containers.js';
import { dockerShell, skipWithoutDocker as skip, type Run } from '../helpers/docker-cli.js';

async function setup(t: Test): Promise<{ d: TestDaemon; sh: (script: string) => Promise<Run> }> {
  const d = await startDaemon(t, 'docker-events');
  await loadBusybox(t, d);
  return { d, sh: dockerShell(t, d) };
}

t.test('docker events --since 1m --until 0s shows what docker run and rm did, in order', { skip }, async (t) => {
  const { sh } = await setup(t);
  const name = `evcli-${process.pid}`;
  const run = await sh(`docker run --name ${name} --label team=blue busybox sh -c 'exit 2'`);
  t.equal(run.code, 2, run.stderr);
  t.equal((await sh(`docker rm ${name}`)).code, 0);
  // The CLI sends --until 0s as whole unix seconds (now, rounded down), as moby reads it too:
  // events of the current second come after it. Let that second pass.
  await new Promise((r) => setTimeout(r, 1100));

  const all = await sh(`docker events --since 1m --until 0s --filter container=${name}`);
  t.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trimEnd().split('\n');
  t.same(lines.map((l) => l.split(' ')[2]), ['create', 'attach', 'start', 'die', 'destroy'], all.stdout);
  t.match(lines[3], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container die [0-9a-f]{64} \\(execDuration=\\d+, exitCode=2, image=busybox, name=${name}, team=blue\\)$`));

  const formatted = await sh(`docker events --since 1m --until 0s --filter type=container --filter event=die --format '{{.Actor.Attributes.name}} {{.Action}} {{.Actor.Attributes.exitCode}}'`);
  t.equal(formatted.stdout, `${name} die 2\n`);
  const images = await sh("docker events --since 1m --until 0s --filter type=image --format '{{.Type}} {{.Action}}'");
  t.equal(images.stdout, 'image load\n', 'the fixture load');
  const bad = await sh('docker events --since 1m --until 0s --filter colour=red');
  t.not(bad.code, 0);
  t.match(bad.stderr, /invalid filter 'colour'/);
});

t.test('docker events follows live events until --until', { skip }, async (t) => {
  const { sh } = await setup(t);
  const name = `evlive-${process.pid}`;
  // The events client starts first and stops by itself 4 s later; meanwhile a container runs.
  const live = await sh(
    `out=$(mktemp); docker events --filter container=${name} --format '{{.Action}}' --until "$(( $(date +%s) + 4 ))" > "$out" & sleep 1; ` +
      `docker run --rm --name ${name} busybox true >/dev/null; wait; cat "$out"; rm -f "$out"`,
  );
  t.equal(live.code, 0, live.stderr);
  t.equal(live.stdout, 'create\nattach\nstart\ndie\ndestroy\n');
});
