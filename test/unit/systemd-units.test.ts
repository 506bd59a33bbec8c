// systemd/kapald.service and kapald.socket: systemd itself must load them without a complaint
// (`systemd-analyze verify`), and they must keep the settings kapal's design relies on.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const unitDir = path.join(root, 'systemd');
const installedKapald = '/usr/local/bin/kapald';
const units = ['kapald.service', 'kapald.socket'] as const;

type Unit = Map<string, Map<string, string[]>>;

// Enough of systemd's unit syntax for these files: [Section], Key=value (keys may repeat), # and ; comments.
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

function readUnit(name: string): string {
  return readFileSync(path.join(unitDir, name), 'utf8');
}

function values(unit: Unit, section: string, key: string): string[] {
  return unit.get(section)?.get(key) ?? [];
}

// verify refuses an ExecStart binary that does not exist, and kapald is only at /usr/local/bin once
// installed. Point ExecStart at the checkout's bin/kapald; until that exists, at an executable stub
// in the staging directory, since verify only checks that the file is executable.
function kapaldForVerify(stageDir: string): string {
  const checkout = path.join(root, 'bin', 'kapald');
  try {
    accessSync(checkout, constants.X_OK);
    return checkout;
  } catch {
    const stub = path.join(stageDir, 'kapald-stub');
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    return stub;
  }
}

// Copies both units into a fresh kapal-units-* directory (removed in teardown), with only the ExecStart
// binary rewritten; `edit` lets a test break a unit on purpose.
function stageUnits(tt: { teardown(fn: () => void): void }, edit: (name: string, text: string) => string = (_n, text) => text): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kapal-units-'));
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const exe = kapaldForVerify(dir);
  return units.map((name) => {
    let text = readUnit(name);
    if (name === 'kapald.service') {
      const rewritten = text.replace(/^ExecStart=\/usr\/local\/bin\/kapald(?=\s)/m, `ExecStart="${exe}"`);
      if (rewritten === text) throw new Error(`kapald.service has no ExecStart= line starting with ${installedKapald}`);
      text = rewritten;
    }
    const file = path.join(dir, name);
    writeFileSync(file, edit(name, text));
    return file;
  });
}

interface Verdict {
  status: number | null;
  complaints: string[];
  output: string;
}

// verify exits 0 even for unknown keys and unparsable values, so every line about our units counts.
// Lines about other units on the machine are not ours to judge.
function verify(files: string[]): Verdict {
  const run = spawnSync('systemd-analyze', ['verify', ...files], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  const complaints = output.split('\n').filter((line) => line.includes('kapald'));
  return { status: run.status, complaints, output };
}

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const noAnalyze = analyze.error ? `systemd-analyze is not installed (${analyze.error.message})` : false;

t.test('systemd-analyze verify accepts kapald.service and kapald.socket without a complaint', { skip: noAnalyze }, async (tt) => {
  const verdict = verify(stageUnits(tt));
  tt.same(verdict.complaints, [], 'no complaint mentions kapald', { output: verdict.output });
  tt.equal(verdict.status, 0, 'systemd-analyze verify exits 0', { output: verdict.output });
});

// Guards the check above: if verify's wording or the filter changed, a broken unit must still show up.
t.test('systemd-analyze verify reports a misspelt key and a bad mode in the units', { skip: noAnalyze }, async (tt) => {
  const broken = stageUnits(tt, (name, text) =>
    name === 'kapald.service'
      ? text.replace(/^KillMode=process$/m, 'KilMode=process')
      : text.replace(/^SocketMode=0660$/m, 'SocketMode=0669'),
  );
  const verdict = verify(broken);
  tt.match(verdict.complaints.join('\n'), /kapald\.service:\d+: Unknown key 'KilMode'/);
  tt.match(verdict.complaints.join('\n'), /kapald\.socket:\d+: .*0669/);
});

t.test('kapald.service keeps the settings that let containers outlive the daemon', async (tt) => {
  const service = parseUnit(readUnit('kapald.service'));
  tt.same(values(service, 'Service', 'Type'), ['notify'], 'kapald reports READY=1 itself');
  tt.same(values(service, 'Service', 'KillMode'), ['process'], 'a stop signals kapald only, not the shims');
  tt.same(values(service, 'Service', 'Delegate'), ['yes'], 'systemd leaves the containers\' cgroups alone');
  tt.same(values(service, 'Service', 'ExecStart'), [`${installedKapald} -H fd://`], 'socket-activated kapald');
  tt.same(values(service, 'Service', 'ExecReload'), ['/bin/kill -s HUP $MAINPID']);
  tt.same(values(service, 'Service', 'Restart'), ['always']);
  tt.same(values(service, 'Service', 'OOMScoreAdjust'), ['-500']);
  for (const key of ['LimitNOFILE', 'LimitNPROC', 'LimitCORE', 'TasksMax']) {
    tt.same(values(service, 'Service', key), ['infinity'], `${key}=infinity`);
  }
  tt.same(values(service, 'Unit', 'Requires'), ['kapald.socket']);
  tt.match(values(service, 'Unit', 'After').join(' '), /\bkapald\.socket\b/);
  tt.same(values(service, 'Install', 'WantedBy'), ['multi-user.target']);
});

t.test('kapald.socket serves /run/kapal/kapal.sock to root and the kapal group only', async (tt) => {
  const socket = parseUnit(readUnit('kapald.socket'));
  tt.same(values(socket, 'Socket', 'ListenStream'), ['/run/kapal/kapal.sock']);
  tt.same(values(socket, 'Socket', 'SocketMode'), ['0660']);
  tt.same(values(socket, 'Socket', 'SocketUser'), ['root']);
  tt.same(values(socket, 'Socket', 'SocketGroup'), ['kapal']);
  tt.same(values(socket, 'Install', 'WantedBy'), ['sockets.target']);
});
