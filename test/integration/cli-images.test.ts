// The image verbs of bin/kapal end to end: a real kapald with the busybox fixture, a real registry
// (docker-registry) for pull and push, the CLI as a child process, and `script` for a terminal.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { humanSize } from '../../src/cli/format.js';
import { loadBusybox, run } from '../helpers/containers.js';
import { makeTempDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kapal, kapalSh } from '../helpers/kapal-cli.js';
import { registryMissing, startRegistry } from '../helpers/registry.js';

const lines = (text: string) => text.split('\n').filter(Boolean);
const short = (id: string) => id.slice(7, 19);
const ESC = '\x1b[';

/** The image's answer to GET /images/{name}/json. */
async function inspectImage(d: TestDaemon, name: string): Promise<any> {
  const res = await d.request('GET', `/images/${name}/json`);
  if (res.status !== 200) throw new Error(`inspect ${name}: ${res.status} ${res.text}`);
  return res.json();
}

/** Imports the fixture's root file system untagged (a dangling image); resolves with its ID. */
async function importDangling(t: Test, d: TestDaemon, rootfsTar: string): Promise<string> {
  const imported = await kapal(d, ['import', rootfsTar]);
  t.equal(imported.code, 0, imported.stderr);
  return imported.stdout.trim();
}

/** `kapal ...` on a terminal 200 columns wide (wide enough for docker's bars), through script(1). */
function onTerminal(d: TestDaemon, command: string, columns = 200) {
  return kapalSh(d, `script -qec "stty cols ${columns}; ${command}" /dev/null`);
}

t.test('kapal images prints docker\'s table: a row per tag, <none> for an untagged image, columns at least 10 wide', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, d);
  t.equal((await kapal(d, ['tag', 'busybox', 'foo/bar:v1'])).code, 0);
  const dangling = await importDangling(t, d, fixture.rootfsTar);
  const size = humanSize((await inspectImage(d, 'busybox')).Size, 3);

  const table = await kapal(d, ['images']);
  t.equal(table.code, 0, table.stderr);
  const [header, ...rows] = lines(table.stdout);
  t.match(header, /^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED +SIZE$/, 'TAG is padded to 10 as tabwriter does');
  t.equal(rows.length, 3);
  t.match(rows[0], new RegExp(`^<none> +<none> +${short(dangling)} +(Less than a second|\\d+ seconds?) ago +${size}$`), 'the newest first');
  const tagged = rows.slice(1).sort();
  t.match(tagged[0], new RegExp(`^busybox +latest +${short(fixture.id)} +\\d+ years ago +${size}$`));
  t.match(tagged[1], new RegExp(`^foo/bar +v1 +${short(fixture.id)} +\\d+ years ago +${size}$`));
  for (const row of rows) t.equal(row.indexOf(short(row.includes('<none>') ? dangling : fixture.id)), header!.indexOf('IMAGE ID'), 'aligned under IMAGE ID');

  const quiet = await kapal(d, ['images', '-q']);
  t.same(lines(quiet.stdout).sort(), [short(dangling), short(fixture.id), short(fixture.id)].sort(), 'an ID per row, as docker prints');
  const full = await kapal(d, ['image', 'ls', '--no-trunc', '-q']);
  t.same(new Set(lines(full.stdout)), new Set([dangling, fixture.id]));

  const json = await kapal(d, ['images', '--format', 'json']);
  t.equal(json.code, 0, json.stderr);
  const objects = lines(json.stdout).map((l) => JSON.parse(l));
  t.equal(objects.length, 3);
  t.match(objects.find((o) => o.Repository === 'busybox'), { Tag: 'latest', ID: short(fixture.id), Size: size, Digest: '<none>', Containers: 'N/A' });
  t.match(objects.find((o) => o.ID === short(dangling)), { Repository: '<none>', Tag: '<none>' });

  const template = await kapal(d, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.same(lines(template.stdout).sort(), ['<none>:<none>', 'busybox:latest', 'foo/bar:v1']);
  const custom = await kapal(d, ['images', '--format', 'table {{.ID}}\\t{{.Repository}}', 'foo/bar']);
  t.equal(custom.stdout, `IMAGE ID       REPOSITORY\n${short(fixture.id)}   foo/bar\n`, 'a table template, and a REPOSITORY argument filtering');
  const digests = await kapal(d, ['images', '--digests', 'busybox']);
  t.match(lines(digests.stdout)[0], /^REPOSITORY {3}TAG {7}DIGEST {4}IMAGE ID /);
  t.match(lines(digests.stdout)[1], /^busybox +latest +<none> +/);

  const danglingOnly = await kapal(d, ['images', '-q', '--filter', 'dangling=true']);
  t.equal(danglingOnly.stdout, `${short(dangling)}\n`);
  const badFilter = await kapal(d, ['images', '-f', 'bogus']);
  t.equal(badFilter.code, 125);
  t.equal(badFilter.stderr, 'invalid argument "bogus" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'kapal images --help\'.\n');
  const unknown = await kapal(d, ['images', '--filter', 'bogus=1']);
  t.equal(unknown.code, 1);
  t.equal(unknown.stderr, "Error response from daemon: invalid filter 'bogus'\n");
  const slip = await kapal(d, ['images', 'ls']);
  t.equal(slip.code, 0);
  t.equal(slip.stderr, '\nNo images found matching "ls": did you mean "kapal image ls"?\n');
});

t.test('tag names an image; rmi and image rm print Untagged: and Deleted: lines; errors are the daemon\'s', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, d);
  const tagged = await kapal(d, ['tag', 'busybox', 'my/bb:1']);
  t.same(tagged, { code: 0, stdout: '', stderr: '' });
  t.equal((await inspectImage(d, 'my/bb:1')).Id, fixture.id);
  t.equal((await kapal(d, ['image', 'tag', fixture.id, 'my/bb'])).code, 0, 'by ID, and the target gets latest');
  t.equal((await inspectImage(d, 'my/bb:latest')).Id, fixture.id);

  const bad = await kapal(d, ['tag', 'busybox', 'BAD']);
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'Error parsing reference: "BAD" is not a valid repository/tag: invalid reference format: repository name (library/BAD) must be lowercase\n');
  const missing = await kapal(d, ['tag', 'nope', 'x']);
  t.same(missing, { code: 1, stdout: '', stderr: 'Error response from daemon: No such image: nope:latest\n' });

  t.same(await kapal(d, ['rmi', 'my/bb:1']), { code: 0, stdout: 'Untagged: my/bb:1\n', stderr: '' });
  t.same(await kapal(d, ['image', 'rm', 'my/bb']), { code: 0, stdout: 'Untagged: my/bb:latest\n', stderr: '' });
  const last = await kapal(d, ['rmi', 'busybox']);
  t.same(last, { code: 0, stdout: `Untagged: busybox:latest\nDeleted: ${fixture.id}\n`, stderr: '' }, 'the last name deletes the image');
  t.equal((await d.request('GET', '/images/busybox/json')).status, 404);

  const dangling = await importDangling(t, d, fixture.rootfsTar);
  const several = await kapal(d, ['rmi', 'nope', short(dangling)]);
  t.equal(several.code, 1, 'one missing image fails the command');
  t.equal(several.stdout, `Deleted: ${dangling}\n`, 'the others are still removed');
  t.equal(several.stderr, 'Error response from daemon: No such image: nope:latest\n');
  const forced = await kapal(d, ['rmi', '-f', 'nope']);
  t.same(forced, { code: 0, stdout: '', stderr: 'Error response from daemon: No such image: nope:latest\n' }, '-f: a missing image is not a failure');
});

t.test('history prints IMAGE CREATED CREATED BY SIZE COMMENT; -q, --no-trunc, --human=false and --format json', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, d);
  const [entry] = (await d.request('GET', '/images/busybox/history')).json();
  t.ok(entry.CreatedBy.length > 45, 'the fixture has a CREATED BY long enough to be cut');

  const table = await kapal(d, ['history', 'busybox']);
  t.equal(table.code, 0, table.stderr);
  const [header, row] = table.stdout.split('\n');
  t.equal(header, 'IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT');
  t.match(row, new RegExp(`^${short(fixture.id)} {3}\\d+ years ago {3}`));
  t.ok(row!.includes(`${entry.CreatedBy.slice(0, 44)}…   ${humanSize(entry.Size, 3)}`), 'CREATED BY cut to 45 with an ellipsis');
  t.equal(row!.indexOf(humanSize(entry.Size, 3)), header!.indexOf('SIZE'));

  t.equal((await kapal(d, ['image', 'history', '-q', 'busybox'])).stdout, `${short(fixture.id)}\n`);
  const full = await kapal(d, ['history', '--no-trunc', 'busybox']);
  t.ok(full.stdout.includes(fixture.id) && full.stdout.includes(entry.CreatedBy), 'nothing cut');
  const raw = await kapal(d, ['history', '--human=false', 'busybox']);
  t.match(lines(raw.stdout)[0], /^IMAGE {10}CREATED AT {13}CREATED BY/);
  t.match(lines(raw.stdout)[1], new RegExp(`^${short(fixture.id)} {3}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d) .* ${entry.Size} +$`), 'RFC 3339 and bytes');
  const json = await kapal(d, ['history', '--format', 'json', 'busybox']);
  t.same(Object.keys(JSON.parse(json.stdout)), ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size']);
  const missing = await kapal(d, ['history', 'nope']);
  t.same(missing, { code: 1, stdout: '', stderr: 'Error response from daemon: No such image: nope:latest\n' });
});

t.test('image inspect prints the answers as a JSON array indented by four spaces, compact with -f json, or a template', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, d);
  const answer = await inspectImage(d, 'busybox');

  const pretty = await kapal(d, ['image', 'inspect', 'busybox']);
  t.equal(pretty.code, 0, pretty.stderr);
  t.equal(pretty.stdout, `${JSON.stringify([answer], null, 4)}\n`);
  t.match(pretty.stdout, /^\[\n {4}\{\n {8}"Id": "sha256:/);
  const compact = await kapal(d, ['image', 'inspect', '-f', 'json', 'busybox']);
  t.equal(compact.stdout, `${JSON.stringify([answer])}\n`);
  const template = await kapal(d, ['image', 'inspect', '--format', '{{.Id}} {{.Os}} {{json .Config.Cmd}}', 'busybox', fixture.id]);
  t.equal(template.stdout, `${fixture.id} linux ["sh"]\n`.repeat(2));

  const partly = await kapal(d, ['image', 'inspect', 'busybox', 'nope']);
  t.equal(partly.code, 1);
  t.same(JSON.parse(partly.stdout), [answer], 'the image found is still printed');
  t.equal(partly.stderr, 'Error response from daemon: No such image: nope:latest\n');
  t.same(await kapal(d, ['image', 'inspect', 'nope']), { code: 1, stdout: '[]\n', stderr: 'Error response from daemon: No such image: nope:latest\n' });
});

t.test('save | load between two daemons, and save -o then load -i, give the same image ID', async (t) => {
  const a = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, a);
  const b = await startDaemon(t, 'cli-images');
  const piped = await kapalSh(a, `kapal save busybox | kapal -H unix://${b.socket} load`);
  t.equal(piped.code, 0, piped.stderr);
  t.equal(piped.stdout, 'Loaded image: busybox:latest\n');
  t.equal((await inspectImage(b, 'busybox')).Id, fixture.id);

  const dir = makeTempDir(t, 'cli-images-save');
  const archive = path.join(dir, 'bb.tar');
  t.same(await kapal(a, ['save', '-o', archive, 'busybox']), { code: 0, stdout: '', stderr: '' });
  t.equal(statSync(archive).mode & 0o777, 0o600, 'written as docker writes it');
  t.equal((await kapal(a, ['rmi', 'busybox'])).code, 0);
  t.same(await kapal(a, ['load', '-q', '-i', archive]), { code: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
  t.equal((await inspectImage(a, 'busybox')).Id, fixture.id);
  const stdin = await kapalSh(a, `kapal image load < ${archive}`);
  t.equal(stdin.stdout, 'Loaded image: busybox:latest\n', 'stdin without -i');

  const failed = path.join(dir, 'none.tar');
  t.same(await kapal(a, ['save', '-o', failed, 'nope']), { code: 1, stdout: '', stderr: 'Error response from daemon: No such image: nope:latest\n' });
  t.notOk(existsSync(failed), 'a failed save leaves no file');
  t.equal((await kapal(a, ['save', '-o', '/nonexistent/dir/x.tar', 'busybox'])).stderr, 'failed to save image: invalid output path: stat /nonexistent/dir: no such file or directory\n');
  t.equal((await kapal(a, ['save', '-o', dir, 'busybox'])).stderr, 'failed to save image: cannot write to a directory\n');
  t.equal((await kapal(a, ['load', '-i', '/nonexistent.tar'])).stderr, 'open /nonexistent.tar: no such file or directory\n');

  // A tar, but of no image: kapald says so in the 200 stream, as its last message.
  const notAnImage = await kapalSh(a, 'tar -cf - -C /etc hostname | kapal load');
  t.same(notAnImage, { code: 1, stdout: '', stderr: 'invalid image archive: no manifest.json or OCI index.json found\n' }, 'an error message in the stream: its text on stderr, exit 1');
  const terminal = await onTerminal(a, 'kapal save busybox');
  t.equal(terminal.code, 1);
  t.equal(terminal.stdout.replace(/\r/g, ''), 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n');
  const loadTerminal = await onTerminal(a, 'kapal load');
  t.equal(loadTerminal.code, 1);
  t.equal(loadTerminal.stdout.replace(/\r/g, ''), 'requested load from stdin, but stdin is empty\n');
});

t.test('import makes an image of a root file system tar (file or stdin), with -c and -m, that runs', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, d);
  const imported = await kapal(d, ['import', '-c', 'CMD ["echo", "imported"]', '-c', 'ENV WHO=kapal', '-m', 'from a test', fixture.rootfsTar, 'imp:1']);
  t.equal(imported.code, 0, imported.stderr);
  t.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const image = await inspectImage(d, 'imp:1');
  t.equal(image.Id, imported.stdout.trim());
  t.same(image.Config.Cmd, ['echo', 'imported']);
  t.ok(image.Config.Env.includes('WHO=kapal'));
  t.equal(image.Comment, 'from a test');
  const ran = await run(d, { Image: 'imp:1' });
  t.equal(ran.code, 0);
  t.equal(ran.stdout, 'imported\n');

  const fromStdin = await kapalSh(d, `kapal image import - imp:2 < ${fixture.rootfsTar}`);
  t.equal(fromStdin.code, 0, fromStdin.stderr);
  t.equal((await inspectImage(d, 'imp:2')).Id, fromStdin.stdout.trim());
  t.equal((await kapal(d, ['images', '--format', '{{.Tag}}', 'imp'])).stdout.split('\n').sort().join(' '), ' 1 2');
  const missing = await kapal(d, ['import', '/nonexistent.tar']);
  t.same(missing, { code: 1, stdout: '', stderr: 'open /nonexistent.tar: no such file or directory\n' });
});

t.test('image prune asks first (no removes nothing), then lists what it deleted and the space reclaimed', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, d);
  const warning = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ';
  const dangling = await importDangling(t, d, fixture.rootfsTar);

  t.same(await kapal(d, ['image', 'prune'], { input: 'n\n' }), { code: 0, stdout: warning, stderr: '' }, 'cancelled quietly, as docker does');
  t.equal((await d.request('GET', `/images/${dangling}/json`)).status, 200, 'still there');
  const yes = await kapal(d, ['image', 'prune'], { input: 'y\n' });
  t.equal(yes.code, 0, yes.stderr);
  t.match(yes.stdout, new RegExp(`^${warning.replace(/[?[\]]/g, '\\$&')}Deleted Images:\ndeleted: ${dangling}\n\nTotal reclaimed space: \\d[\\d.]*k?M?B\n$`));
  t.equal((await d.request('GET', `/images/${dangling}/json`)).status, 404);
  t.same(await kapal(d, ['image', 'prune', '-f']), { code: 0, stdout: 'Total reclaimed space: 0B\n', stderr: '' });

  const all = await kapal(d, ['image', 'prune', '-a', '-f']);
  t.equal(all.code, 0, all.stderr);
  t.equal(all.stdout, `Deleted Images:\nuntagged: busybox:latest\ndeleted: ${fixture.id}\n\nTotal reclaimed space: ${/Total reclaimed space: (\S+)/.exec(all.stdout)?.[1]}\n`);
  t.not(/Total reclaimed space: (\S+)/.exec(all.stdout)?.[1], '0B', 'the last image frees its layer');
  const allWarning = await kapal(d, ['image', 'prune', '-a'], { input: '' });
  t.equal(allWarning.stdout, 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] ');
  t.same(await kapal(d, ['image', 'prune', '-f', '--filter', 'bogus=1']), { code: 1, stdout: '', stderr: "Error response from daemon: invalid filter 'bogus'\n" });
});

t.test('push and pull against a loopback registry print docker\'s status lines, without bars off a terminal', { skip: registryMissing() ?? false }, async (t) => {
  const registry = await startRegistry(t);
  const a = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, a);
  const name = `${registry.host}/x/bb`;
  const layer = short(fixture.diffIds[0]!);
  t.equal((await kapal(a, ['tag', 'busybox', `${name}:1`])).code, 0);

  const pushed = await kapal(a, ['push', `${name}:1`]);
  t.equal(pushed.code, 0, pushed.stderr);
  const digest = (await inspectImage(a, `${name}:1`)).RepoDigests[0].split('@')[1];
  t.match(pushed.stdout, new RegExp(`^The push refers to repository \\[${name}\\]\n${layer}: Preparing\n${layer}: Pushed\n1: digest: ${digest} size: \\d+\n$`));
  t.notMatch(pushed.stdout, /\x1b|=>/, 'no cursor moves, no bars');
  t.same(await kapal(a, ['push', '-q', `${name}:1`]), { code: 0, stdout: `${name}:1\n`, stderr: '' });
  const noTag = await kapal(a, ['push', name]);
  t.same(noTag, { code: 1, stdout: 'Using default tag: latest\n', stderr: `Error response from daemon: An image does not exist locally with the tag: ${name}\n` });

  const b = await startDaemon(t, 'cli-images');
  const pulled = await kapal(b, ['pull', `${name}:1`]);
  t.equal(pulled.code, 0, pulled.stderr);
  t.equal(
    pulled.stdout,
    `1: Pulling from x/bb\n${layer}: Pulling fs layer\n${layer}: Verifying Checksum\n${layer}: Download complete\n${layer}: Pull complete\n` +
      `Digest: ${digest}\nStatus: Downloaded newer image for ${name}:1\n${name}:1\n`,
  );
  t.equal((await inspectImage(b, `${name}:1`)).Id, fixture.id, 'the same image');
  t.same(await kapal(b, ['image', 'pull', '-q', `${name}:1`]), { code: 0, stdout: `${name}:1\n`, stderr: '' });
  const byDigest = await kapal(b, ['pull', `${name}@${digest}`]);
  t.match(byDigest.stdout, new RegExp(`Status: Image is up to date for ${name}@${digest}\n${name}@${digest}\n$`));
  const missing = await kapal(b, ['pull', `${registry.host}/x/nope`]);
  t.same(missing, {
    code: 1,
    stdout: 'Using default tag: latest\n',
    stderr: `Error response from daemon: manifest for ${registry.host}/x/nope:latest not found: manifest unknown: manifest unknown\n`,
  });
  t.same(await kapal(b, ['pull', '-a', `${name}:1`]), { code: 1, stdout: '', stderr: "tag can't be used with --all-tags/-a\n" });
});

t.test('on a terminal pull, push and load keep a line per layer, rewritten with cursor moves under a bar', { skip: registryMissing() ?? false }, async (t) => {
  const registry = await startRegistry(t);
  const a = await startDaemon(t, 'cli-images');
  const fixture = await loadBusybox(t, a);
  const layer = short(fixture.diffIds[0]!);
  const name = `${registry.host}/tty/bb:1`;
  t.equal((await kapal(a, ['tag', 'busybox', name])).code, 0);
  // Each update: cursor up to the layer's line, erase it, rewrite it, cursor back down.
  const update = (status: string) => `${ESC}1A${ESC}2K\r${layer}: ${status}`;

  const push = await onTerminal(a, `kapal push ${name}`);
  t.equal(push.code, 0, 'exit 0', { output: push.stdout });
  t.ok(push.stdout.includes(`${update('Preparing')} \r${ESC}1B`), 'Preparing, in place');
  t.match(push.stdout, new RegExp(`${layer}: Pushing \\[={50}>\\]\\s+\\S+B/\\S+B\\r`), 'a full bar with sizes');
  t.ok(push.stdout.includes(`${update('Pushed')} \r${ESC}1B`));

  const b = await startDaemon(t, 'cli-images');
  const pull = await onTerminal(b, `kapal pull ${name}`);
  t.equal(pull.code, 0, 'exit 0', { output: pull.stdout });
  t.ok(pull.stdout.includes(update('Downloading [')), 'the download rewrites the layer line');
  t.match(pull.stdout, /Downloading \[=*>\s*\]\s+\S+B\/\S+B\r/);
  t.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${registry.host}/tty/bb:1\\r\\n${registry.host}/tty/bb:1\\r\\n$`));

  const c = await startDaemon(t, 'cli-images');
  const load = await onTerminal(c, `kapal load -i ${fixture.dockerArchive}`);
  t.equal(load.code, 0, 'exit 0', { output: load.stdout });
  t.equal(load.stdout, `\r\n${update('Loading layer [')}${'='.repeat(50)}>]${load.stdout.match(/\]( +\S+\/\S+)\r/)?.[1]}\r${ESC}1BLoaded image: busybox:latest\r\n`);
  const d = await startDaemon(t, 'cli-images');
  const narrow = await onTerminal(d, `kapal load -i ${fixture.dockerArchive}`, 80);
  t.match(narrow.stdout, new RegExp(`${layer}: Loading layer +\\S+B/\\S+B\\r`), 'below 110 columns, sizes without a bar');
  t.notMatch(narrow.stdout, /\[=*>/);

  const plain = await kapalSh(d, `kapal rmi busybox >/dev/null && kapal load -i ${fixture.dockerArchive}`);
  t.equal(plain.stdout, 'Loaded image: busybox:latest\n', 'not a terminal: status lines only, no escapes');
});

t.test('kapal --help lists images, pull and push; kapal image lists its verbs; rmi and image rm share their flags', async (t) => {
  const d = await startDaemon(t, 'cli-images');
  const help = await kapal(d, ['--help']);
  for (const line of [/\n {2}images +List images\n/, /\n {2}pull +Download an image from a registry\n/, /\n {2}push +Upload an image to a registry\n/, /\n {2}image +Manage images\n/, /\n {2}rmi +Remove one or more images\n/, /\n {2}save +Save one or more images/]) {
    t.match(help.stdout, line);
  }
  const group = await kapal(d, ['image']);
  t.equal(group.code, 0);
  t.same(lines(group.stdout).filter((l) => /^ {2}\w/.test(l)).map((l) => l.trim().split(/\s+/)[0]), ['history', 'import', 'inspect', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);
  const rmi = await kapal(d, ['rmi', '--help']);
  t.match(rmi.stdout, /^Usage: {2}kapal rmi \[OPTIONS\] IMAGE \[IMAGE\.\.\.\]\n\nRemove one or more images\n\nOptions:\n {2}-f, --force +Force removal of the image\n {6}--no-prune +Do not delete untagged parents\n/);
  t.equal((await kapal(d, ['image', 'rm', '--help'])).stdout.replace('image rm', 'rmi'), rmi.stdout);
  const noArgs = await kapal(d, ['pull']);
  t.equal(noArgs.code, 1);
  t.equal(noArgs.stderr, "\"kapal pull\" requires exactly 1 argument.\nUsage:  kapal pull [OPTIONS] NAME[:TAG|@DIGEST]\nSee 'kapal pull --help'.\n");
});
