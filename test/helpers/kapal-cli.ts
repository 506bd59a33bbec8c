// bin/kapal as a user runs it: a child process against a test kapald (-H unix://<its socket>).

import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KAPAL, type TestDaemon } from './daemon.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kapal ARGS` against `d`; `input` is written to its stdin (else stdin is empty). */
export function kapal(d: Pick<TestDaemon, 'socket'>, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KAPAL, '-H', `unix://${d.socket}`, ...args], { env: { ...process.env, KAPAL_HOST: '', ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/** Like kapal() but through `sh -c`, for pipes and redirections; KAPAL_HOST points at `d`. */
export function kapalSh(d: Pick<TestDaemon, 'socket'>, script: string, opts: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { cwd: opts.cwd, env: { ...process.env, KAPAL_HOST: `unix://${d.socket}`, PATH: `${KAPAL.replace(/\/kapal$/, '')}:${process.env.PATH}` }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The kapal process script(1) runs (script → sh → exec node kapal): the descendant running bin/kapal. */
function kapalPid(scriptPid: number): number {
  const children = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const queue = [scriptPid];
  while (queue.length) {
    const pid = queue.shift()!;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(KAPAL)) return pid;
    } catch {
      // gone
    }
    queue.push(...children(pid));
  }
  return 0;
}

/**
 * Runs `kapal ARGS` on a terminal: script(1) gives it a pty of `rows`x`cols`; `input` parts are
 * typed in order, each after its delay (ms) or once the output so far matches its `after`. stdin
 * stays open until the command ends, so the terminal never hangs up early.
 */
export function kapalOnPty(
  d: Pick<TestDaemon, 'socket'>,
  args: string[],
  input: { text: string; delay?: number; after?: RegExp; /** Runs (with kapal's pid) before the text is typed. */ before?: (kapalPid: number) => void }[],
  opts: { rows?: number; cols?: number; timeoutMs?: number } = {},
): Promise<CliRun & { child: number }> {
  const quoted = [process.execPath, KAPAL, '-H', `unix://${d.socket}`, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const inner = `stty rows ${opts.rows ?? 30} cols ${opts.cols ?? 100}; exec ${quoted}`;
  return new Promise((resolve) => {
    const child = spawn('script', ['-qefc', inner, '/dev/null'], { env: { ...process.env, KAPAL_HOST: '', TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, child: child.pid ?? 0 });
    });
    child.stdin.on('error', () => {});
    void (async () => {
      for (const part of input) {
        if (part.after) {
          const deadline = Date.now() + 10_000;
          while (!part.after.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, part.delay ?? 0));
        part.before?.(kapalPid(child.pid ?? 0));
        if (child.exitCode === null) child.stdin.write(part.text);
      }
    })();
  });
}
