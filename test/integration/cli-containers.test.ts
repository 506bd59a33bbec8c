// The kapal CLI's container verbs, end to end: bin/kapal as a child process (on a pty from
// script(1) where a terminal matters) against a real kapald and real containers.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { KAPAL, makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadBusybox, waitFor } from '../helpers/containers.js';
import { kapal, kapalOnPty, kapalSh } from '../helpers/kapal-cli.js';
import { freePort } from '../helpers/tls.js';
import { registryMissing, startRegistry } from '../helpers/registry.js';

async function daemon(t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): Promise<TestDaemon> {
  const d = await startDaemon(t, name);
  await loadBusybox(t, d);
  return d;
}

const ok = async (t: Parameters<Parameters<typeof t.test>[1]>[0], d: TestDaemon, args: string[], input?: string) => {
  const r = await kapal(d, args, { input: input ?? '' });
  t.equal(r.code, 0, `kapal ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

t.test('run: output and exit status as docker run gives them, stdin piped, and docker\'s errors with 125, 126, 127', async (t) => {
  const d = await daemon(t, 'cli-run');
  t.equal(await ok(t, d, ['run', '--rm', 'busybox', 'echo', 'hi']), 'hi\n');
  const split = await kapal(d, ['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  t.same([split.code, split.stdout, split.stderr], [4, 'out\n', 'err\n'], 'stdout and stderr kept apart, the container\'s status');
  t.equal(await ok(t, d, ['run', '-i', '--rm', 'busybox', 'cat'], 'abc\n'), 'abc\n', 'stdin piped with -i');
  const env = await ok(t, d, ['run', '--rm', '-e', 'A=1', '-e', 'B=two words', '-w', '/tmp', '-u', '1:1', '-h', 'box', 'busybox', 'sh', '-c', 'echo $A $B; pwd; id -u; hostname']);
  t.equal(env, '1 two words\n/tmp\n1\nbox\n');

  const missing = await kapal(d, ['run', '--rm', 'nosuchimage']);
  t.equal(missing.code, 125);
  t.match(missing.stderr, /^Unable to find image 'nosuchimage:latest' locally\nkapal: Error response from daemon: .*\n\nRun 'kapal run --help' for more information\n$/);
  const notFound = await kapal(d, ['run', '--rm', 'busybox', 'nosuchcmd']);
  t.equal(notFound.code, 127);
  t.match(notFound.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
  const notExecutable = await kapal(d, ['run', '--rm', 'busybox', '/etc/passwd']);
  t.equal(notExecutable.code, 126, notExecutable.stderr);
  const noTty = await kapal(d, ['run', '-it', '--rm', 'busybox', 'true'], { input: '' });
  t.same([noTty.code, noTty.stderr], [1, 'the input device is not a TTY\n'], '-it needs a terminal, as with docker');
  const badFlag = await kapal(d, ['run', '--nosuchflag', 'busybox']);
  t.equal(badFlag.code, 125);
  t.equal(badFlag.stderr, "unknown flag: --nosuchflag\nSee 'kapal run --help'.\n");
  t.equal((await kapal(d, ['ps', '-aq'])).stdout, '', '--rm removed every container, failed starts included');
});

t.test('run -d, ps, port, inspect, exec, logs, top, stats, pause, rename, update, restart, stop, kill, wait, rm', async (t) => {
  const d = await daemon(t, 'cli-lifecycle');
  const port = await freePort();
  const id = (await ok(t, d, ['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, '-l', 'team=x', '-e', 'A=1', 'busybox', 'sh', '-c', 'echo started; echo warn >&2; exec sleep 1000'])).trim();
  t.match(id, /^[0-9a-f]{64}$/);
  const table = await ok(t, d, ['ps']);
  t.match(table, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES\n/);
  t.match(table, new RegExp(`\\n${id.slice(0, 12)} +busybox +"sh -c 'echo started…" +.* ago +Up .* +127\\.0\\.0\\.1:${port}->80/tcp +web\\n`), 'the command cut at 20 characters, moby\'s quotes');
  t.equal(await ok(t, d, ['ps', '-q']), `${id.slice(0, 12)}\n`);
  t.equal(await ok(t, d, ['ps', '--no-trunc', '-q']), `${id}\n`);
  t.equal(await ok(t, d, ['ps', '--format', '{{.Names}} {{.Image}} {{.Labels}}']), 'web busybox team=x\n');
  t.match(JSON.parse(await ok(t, d, ['ps', '--format', 'json'])), { ID: id.slice(0, 12), Names: 'web', State: 'running', RunningFor: / ago$/, LocalVolumes: '0' });
  const badTemplate = await kapal(d, ['ps', '--format', '{{.Nope}}']);
  t.equal(badTemplate.code, 1);
  t.match(badTemplate.stderr, /can't evaluate field Nope/);
  t.equal(await ok(t, d, ['ps', '-q', '--filter', 'name=nosuch']), '');
  t.equal(await ok(t, d, ['ps', '-q', '--filter', 'label=team=x']), `${id.slice(0, 12)}\n`);
  t.match(await ok(t, d, ['ps', '--format', 'table {{.ID}}\\t{{.Names}}']), /^CONTAINER ID +NAMES\n[0-9a-f]{12} +web\n$/);

  t.equal(await ok(t, d, ['port', 'web']), `80/tcp -> 127.0.0.1:${port}\n`);
  t.equal(await ok(t, d, ['port', 'web', '80']), `127.0.0.1:${port}\n`);
  t.equal(await ok(t, d, ['inspect', '-f', '{{.Name}} {{.Config.Image}} {{.State.Running}}', 'web']), '/web busybox true\n');
  const doc = JSON.parse(await ok(t, d, ['container', 'inspect', 'web']));
  t.equal(doc[0].Id, id);
  t.equal(await ok(t, d, ['exec', '-e', 'B=2', '-w', '/etc', 'web', 'sh', '-c', 'echo $A$B; pwd']), '12\n/etc\n');
  const status = await kapal(d, ['exec', 'web', 'sh', '-c', 'exit 5']);
  t.equal(status.code, 5, 'exec gives the process\'s status');
  t.equal(await ok(t, d, ['exec', '-i', 'web', 'cat'], 'piped\n'), 'piped\n');
  t.equal((await kapal(d, ['exec', 'web', 'nosuchcmd'])).code, 127);
  t.equal(await ok(t, d, ['exec', '-d', 'web', 'touch', '/detached']), '');
  await waitFor(async () => (await kapal(d, ['exec', 'web', 'test', '-e', '/detached'])).code === 0, 5000, 'the detached exec');

  const logs = await kapal(d, ['logs', 'web']);
  t.same([logs.stdout, logs.stderr], ['started\n', 'warn\n'], 'logs keep stdout and stderr apart');
  const last = await kapal(d, ['logs', '-t', '--tail', '1', 'web']);
  t.match(last.stdout + last.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (started|warn)\n$/, 'one line, with its time');
  t.match(await ok(t, d, ['top', 'web']), /^UID +PID +PPID +C +STIME +TTY +TIME +CMD\n.*sleep 1000/);
  const stats = await ok(t, d, ['stats', '--no-stream', 'web']);
  t.match(stats, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS\n[0-9a-f]{12} +web +\d+\.\d\d% +[\d.]+\w?i?B \/ [\d.]+\w?i?B/);

  t.equal(await ok(t, d, ['pause', 'web']), 'web\n');
  t.match(await ok(t, d, ['ps', '--format', '{{.Status}}']), /\(Paused\)/);
  t.equal(await ok(t, d, ['unpause', 'web']), 'web\n');
  await ok(t, d, ['rename', 'web', 'site']);
  t.equal(await ok(t, d, ['ps', '--format', '{{.Names}}']), 'site\n');
  t.equal(await ok(t, d, ['update', '--memory', '64m', '--memory-swap', '128m', 'site']), 'site\n');
  t.equal(await ok(t, d, ['inspect', '-f', '{{.HostConfig.Memory}}', 'site']), `${64 * 1024 * 1024}\n`);
  t.equal(await ok(t, d, ['restart', '-t', '0', 'site']), 'site\n');
  t.equal(await ok(t, d, ['kill', '-s', 'KILL', 'site']), 'site\n');
  t.equal(await ok(t, d, ['wait', 'site']), '137\n');
  t.match(await ok(t, d, ['ps', '-a', '--format', '{{.Status}}']), /^Exited \(137\) .* ago\n$/);
  const missing = await kapal(d, ['stop', 'site', 'nosuch']);
  t.same([missing.code, missing.stdout, missing.stderr], [1, 'site\n', 'Error response from daemon: No such container: nosuch\n'], 'each container in turn, then 1');
  t.equal(await ok(t, d, ['rm', 'site']), 'site\n');
  t.equal(await ok(t, d, ['ps', '-aq']), '');
});

t.test('create, start -a, attach-less start, container prune with its question', async (t) => {
  const d = await daemon(t, 'cli-create');
  const id = (await ok(t, d, ['create', '--name', 'later', 'busybox', 'sh', '-c', 'echo from start; exit 3'])).trim();
  t.match(id, /^[0-9a-f]{64}$/);
  const started = await kapal(d, ['start', '-a', 'later']);
  t.same([started.code, started.stdout], [3, 'from start\n'], 'start -a prints the output and gives the status');
  await ok(t, d, ['create', '--name', 'quiet', 'busybox', 'true']);
  t.equal(await ok(t, d, ['start', 'quiet']), 'quiet\n');
  await ok(t, d, ['wait', 'quiet']);
  const declined = await kapal(d, ['container', 'prune'], { input: 'n\n' });
  t.equal(declined.stdout, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
  t.equal((await ok(t, d, ['ps', '-aq'])).trim().split('\n').length, 2, 'n keeps them');
  const pruned = await ok(t, d, ['container', 'prune'], 'y\n');
  t.match(pruned, /Deleted Containers:\n[0-9a-f]{64}\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
  t.equal(await ok(t, d, ['ps', '-aq']), '');
});

t.test('cp both ways, diff, commit then run, export', async (t) => {
  const d = await daemon(t, 'cli-files');
  const work = makeTempDir(t, 'cli-files-work');
  await ok(t, d, ['run', '-d', '--name', 'box', 'busybox', 'sh', '-c', 'mkdir -p /d/sub; echo inside > /d/f; echo deep > /d/sub/g; rm /bin/vi; exec sleep 1000']);
  await waitFor(async () => (await kapal(d, ['exec', 'box', 'test', '-e', '/d/sub/g'])).code === 0, 5000, 'the files');
  await ok(t, d, ['cp', 'box:/d/f', work]);
  t.equal(readFileSync(path.join(work, 'f'), 'utf8'), 'inside\n');
  await ok(t, d, ['cp', 'box:/d', path.join(work, 'copy')]);
  t.equal(readFileSync(path.join(work, 'copy/sub/g'), 'utf8'), 'deep\n', 'a directory under a new name');
  writeFileSync(path.join(work, 'up.txt'), 'from the host\n');
  await ok(t, d, ['cp', path.join(work, 'up.txt'), 'box:/d/']);
  await ok(t, d, ['cp', path.join(work, 'up.txt'), 'box:/d/renamed.txt']);
  t.equal(await ok(t, d, ['exec', 'box', 'cat', '/d/up.txt', '/d/renamed.txt']), 'from the host\nfrom the host\n');
  const tarOut = await kapalSh(d, `kapal cp box:/d/f - | tar -t`);
  t.equal(tarOut.stdout, 'f\n', 'cp to - writes a tar');
  const diff = await ok(t, d, ['diff', 'box']);
  t.match(diff, /^A \/d$/m);
  t.match(diff, /^D \/bin\/vi$/m);
  t.match(await ok(t, d, ['commit', '-c', 'CMD ["cat","/d/f"]', '-m', 'snap', 'box', 'snap:1']), /^sha256:[0-9a-f]{64}\n$/);
  t.equal(await ok(t, d, ['run', '--rm', 'snap:1']), 'inside\n');
  const exported = await kapalSh(d, 'kapal export box | tar -t | grep -c .');
  t.ok(Number(exported.stdout) > 100, `export lists the whole file system (${exported.stdout.trim()} entries)`);
  await ok(t, d, ['export', '-o', path.join(work, 'fs.tar'), 'box']);
  t.ok(existsSync(path.join(work, 'fs.tar')));
  await ok(t, d, ['rm', '-f', 'box']);
});

t.test('on a terminal: run -it is interactive and sized, ctrl-p ctrl-q detaches, attach and exec -it work', async (t) => {
  const d = await daemon(t, 'cli-tty');
  // The window changes size mid-session: stty on kapal's terminal sends it SIGWINCH.
  const resize = (pid: number) => execFileSync('stty', ['-F', readlinkSync(`/proc/${pid}/fd/0`), 'rows', '44', 'cols', '122']);
  const shell = await kapalOnPty(d, ['run', '-it', '--rm', 'busybox', 'sh'], [
    { text: 'stty size; echo $((6*7))\r', after: /# / },
    { text: 'stty size\r', after: /42\r+\n/, before: resize, delay: 200 },
    { text: 'exit 5\r', after: /44 122/ },
  ], { rows: 33, cols: 111 });
  t.equal(shell.code, 5, shell.stderr);
  t.match(shell.stdout, /33 111\r+\n42\r+\n/, 'the terminal\'s size inside, the shell\'s answer');
  t.match(shell.stdout, /44 122\r+\n/, 'and its new size after a resize');

  // Typed keys arrive one read each; kapald, like dockerd, takes only those for the detach keys.
  const detached = await kapalOnPty(d, ['run', '-it', '--name', 'keep', 'busybox', 'sh'], [{ text: '\x10', after: /# / }, { text: '\x11', delay: 100 }]);
  t.equal(detached.code, 0, `ctrl-p ctrl-q: ${detached.stderr}`);
  t.equal(await ok(t, d, ['inspect', '-f', '{{.State.Running}}', 'keep']), 'true\n', 'the container runs on');
  const attached = await kapalOnPty(d, ['attach', 'keep'], [
    { text: 'echo back-$((1+1))\r', delay: 300 },
    { text: '\x10', after: /back-2/ },
    { text: '\x11', delay: 100 },
  ]);
  t.equal(attached.code, 0, attached.stderr);
  t.match(attached.stdout, /back-2/);
  const exec = await kapalOnPty(d, ['exec', '-it', 'keep', 'sh'], [
    { text: 'tty; exit 3\r', after: /# / },
  ]);
  t.equal(exec.code, 3);
  t.match(exec.stdout, /\/dev\/pts\/\d+/);
  await ok(t, d, ['rm', '-f', 'keep']);
});

t.test('logs -f follows until the container ends; signals reach a non-TTY container', async (t) => {
  const d = await daemon(t, 'cli-follow');
  await ok(t, d, ['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo tick $i; sleep 0.3; done']);
  t.equal(await ok(t, d, ['logs', '-f', 'ticker']), 'tick 1\ntick 2\ntick 3\n');

  const child = spawn(process.execPath, [KAPAL, '-H', `unix://${d.socket}`, 'run', '--rm', 'busybox', 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes('ready'), 10_000, 'the container to start');
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('close', r));
  t.equal(code, 7, 'the trap ran: SIGTERM was forwarded');
  t.match(out, /got TERM/);
});

t.test('help comes from the declarations; management commands and unknown verbs', async (t) => {
  const d = await daemon(t, 'cli-help');
  const help = await ok(t, d, ['run', '--help']);
  t.match(help, /^Usage:  kapal run \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]\n\nCreate and run a new container from an image\n\nOptions:\n/);
  t.match(help, /\n  -p, --publish list +Publish a container's port\(s\) to the host\n/);
  t.match(help, /\n  -h, --hostname string +Container host name\n/);
  t.match(await ok(t, d, ['container', '--help']), /^Usage:  kapal container COMMAND\n\nManage containers\n\nCommands:\n(  \w+ +.*\n)+/);
  t.equal(await ok(t, d, ['container', 'ls', '-aq']), '');
  const unknown = await kapal(d, ['container', 'nosuch']);
  t.same([unknown.code, unknown.stderr], [1, "kapal: 'container nosuch' is not a kapal command.\nSee 'kapal container --help'\n"]);
  const noArgs = await kapal(d, ['rm']);
  t.equal(noArgs.code, 1);
  t.match(noArgs.stderr, /^"kapal rm" requires at least 1 argument\./);
  t.ok(execFileSync('sh', ['-c', `${KAPAL} --help`], { encoding: 'utf8' }).includes('Management Commands:'));
});

t.test('run pulls a missing image first, progress on stderr in docker\'s words', { skip: registryMissing() ?? false }, async (t) => {
  const registry = await startRegistry(t);
  const d = await daemon(t, 'cli-pull');
  const name = `${registry.host}/cli/bb:1`;
  await ok(t, d, ['tag', 'busybox', name]);
  await ok(t, d, ['push', '-q', name]);
  await ok(t, d, ['rmi', name]);
  const r = await kapal(d, ['run', '--rm', name, 'echo', 'pulled']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'pulled\n');
  t.match(r.stderr, new RegExp(`^Unable to find image '${name.replace(/[.]/g, '\\.')}' locally\n`));
  t.match(r.stderr, /Status: Downloaded newer image for /);
});

t.test('kapal completion bash completes verbs, sub-verbs, flags and container names', async (t) => {
  const d = await daemon(t, 'cli-completion');
  await ok(t, d, ['run', '-d', '--name', 'webserver', 'busybox', 'sleep', '1000']);
  const dir = makeTempDir(t, 'cli-completion');
  const complete = async (words: string[]) => {
    const script = path.join(dir, 'complete.bash');
    writeFileSync(script, `source <(kapal completion bash)\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kapal; echo "\${COMPREPLY[@]}"\n`);
    const r = await kapalSh(d, `bash ${script}`);
    t.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split(' ').filter(Boolean);
  };
  t.same(await complete(['kapal', 'ru']), ['run']);
  t.same(await complete(['kapal', 'network', 'c']), ['connect', 'create']);
  t.same(await complete(['kapal', 'run', '--priv']), ['--privileged']);
  t.same(await complete(['kapal', 'stop', 'web']), ['webserver'], 'container names from kapald');
  t.same(await complete(['kapal', 'run', '--network', 'br']), ['bridge'], 'a flag\'s value: networks for --network');
  t.same(await complete(['kapal', 'ps', '--format', '']), [], 'nothing to offer for other values');
  t.same(await complete(['kapal', 'network', 'connect', 'bridge', 'web']), ['webserver'], 'network connect: a network, then a container');
  t.same(await complete(['kapal', 'container', 'run', 'busybox', '']), [], 'after run\'s image comes its command');
  t.ok((await complete(['kapal', 'run', ''])).includes('busybox:latest'), 'image names');
  const zsh = await kapal(d, ['completion', 'zsh']);
  t.match(zsh.stdout, /^#compdef kapal\n/);
  t.equal((await kapal(d, ['completion', 'fish'])).code, 1);
  await ok(t, d, ['rm', '-f', 'webserver']);
});
