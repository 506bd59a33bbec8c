// The real docker CLI: docker exec (attached, -i, -d, -e/-w/-u, failures) and the interactive
// terminals `docker exec -it` and `docker run -it`, driven through a pty made by script(1) so the
// CLI goes raw, sends its console size and resizes as it does for a person at a terminal.

import t, { type Test } from 'tap';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox } from '../helpers/containers.js';
import { dockerShell, skipWithoutDocker as skip, type Run } from '../helpers/docker-cli.js';

async function setup(t: Test): Promise<{ d: TestDaemon; sh: (script: string) => Promise<Run> }> {
  const d = await startDaemon(t, 'docker-exec');
  await loadBusybox(t, d);
  const sh = dockerShell(t, d);
  const run = await sh('docker run -d --name web busybox sleep 1000');
  if (run.code !== 0) throw new Error(`docker run -d failed: ${run.stderr}`);
  return { d, sh };
}

/** Types `input` into `command` running on a pty of `rows`x`cols` (script -e: its exit status). */
const onTerminal = (command: string, input: string, rows = 33, cols = 99) =>
  `printf '${input}' | script -qec "stty rows ${rows} cols ${cols}; ${command}" /dev/null`;

t.test('docker exec: output, exit codes, stdin, -e -w -u, -d, and a missing command', { skip }, async (t) => {
  const { sh } = await setup(t);
  t.same(await sh('docker exec web echo hi'), { code: 0, stdout: 'hi\n', stderr: '' });
  t.same(await sh("docker exec web sh -c 'echo out; echo err >&2; exit 5'"), { code: 5, stdout: 'out\n', stderr: 'err\n' });
  t.same(await sh('echo abc | docker exec -i web cat'), { code: 0, stdout: 'abc\n', stderr: '' });
  const opts = await sh("docker exec -e X=1 -w /tmp -u nobody web sh -c 'echo $X $(pwd) $(id -u)'");
  t.equal(opts.stdout, '1 /tmp 65534\n');
  const missing = await sh('docker exec web nosuchcmd');
  t.equal(missing.code, 127);
  t.match(missing.stdout + missing.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
  t.equal((await sh('docker exec -d web sleep 300')).code, 0);
  t.equal((await sh("docker inspect --format '{{len .ExecIDs}}' web")).stdout, '1\n', 'the detached exec runs');
  const stopped = await sh('docker run -d --name gone busybox true && docker wait gone >/dev/null && docker exec gone true');
  t.equal(stopped.code, 1);
  t.match(stopped.stderr, /Error response from daemon: container [0-9a-f]{64} is not running/);
});

t.test('docker exec -it is an interactive shell with the terminal\'s size', { skip }, async (t) => {
  const { sh } = await setup(t);
  const r = await sh(onTerminal('docker exec -it web sh', 'echo inside-$((40+2))\\nstty size\\ntty\\nexit 4\\n'));
  t.equal(r.code, 4, r.stderr);
  t.match(r.stdout, /inside-42\r\n/);
  t.match(r.stdout, /33 99\r\n/, 'the console size reached the exec\'s pty');
  t.match(r.stdout, /\/dev\/pts\/\d+\r\n/);
});

t.test('docker run -it --rm is an interactive shell with the terminal\'s size', { skip }, async (t) => {
  const { sh, d } = await setup(t);
  const r = await sh(onTerminal('docker run -it --rm busybox sh', 'echo hello-$((1+1))\\nstty size\\nexit 3\\n', 40, 120));
  t.equal(r.code, 3, r.stderr);
  t.match(r.stdout, /hello-2\r\n/);
  t.match(r.stdout, /40 120\r\n/);
  t.equal((await d.request('GET', '/containers/json?all=1')).json().length, 1, '--rm removed it (web remains)');
});
