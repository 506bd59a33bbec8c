// Restart policies as moby's restart manager decides them: `always`, `unless-stopped` (unless the
// user stopped it), `on-failure[:N]` (a non-zero exit, at most N restarts when N > 0), `no`;
// the delay before each restart starts at 100 ms and doubles up to a minute, back to 100 ms
// after a run of 10 s or more.

export interface RestartPolicy {
  Name?: string;
  MaximumRetryCount?: number;
}

export const MIN_RESTART_DELAY_MS = 100;
export const MAX_RESTART_DELAY_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export interface RestartDecision {
  restart: boolean;
  /** The delay before the restart, and the one the next decision doubles. */
  delayMs: number;
}

/**
 * What to do after an exit; `lastDelayMs` is the previous decision's delay (0 for none). A
 * container the user stopped (docker stop or kill) is never restarted at its exit.
 */
export function decideRestart(policy: RestartPolicy | undefined, exit: { exitCode: number; manuallyStopped: boolean; restartCount: number; ranMs: number }, lastDelayMs: number): RestartDecision {
  const name = policy?.Name || 'no';
  const delayMs = exit.ranMs >= RESET_AFTER_MS || lastDelayMs === 0 ? MIN_RESTART_DELAY_MS : Math.min(lastDelayMs * 2, MAX_RESTART_DELAY_MS);
  let restart = false;
  if (exit.manuallyStopped) restart = false;
  else if (name === 'always' || name === 'unless-stopped') restart = true;
  else if (name === 'on-failure') {
    const max = policy?.MaximumRetryCount ?? 0;
    restart = exit.exitCode !== 0 && (max === 0 || exit.restartCount < max);
  }
  return { restart, delayMs };
}

/**
 * At kapald's start, for a container that is not running: `always` even if the user stopped it
 * (docker's documented rule), the others as at an exit.
 */
export function restartsAtDaemonStart(policy: RestartPolicy | undefined, manuallyStopped: boolean, exitCode: number, restartCount: number): boolean {
  if (policy?.Name === 'always') return true;
  return decideRestart(policy, { exitCode, manuallyStopped, restartCount, ranMs: 0 }, 0).restart;
}

/** moby's checks of a restart policy, in its words. */
export function restartPolicyError(policy: RestartPolicy | undefined): string | undefined {
  const name = policy?.Name || 'no';
  const max = policy?.MaximumRetryCount ?? 0;
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) return `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`;
  if (max < 0) return 'invalid restart policy: maximum retry count cannot be negative';
  if (max > 0 && name !== 'on-failure') return "invalid restart policy: maximum retry count can only be used with 'on-failure'";
  return undefined;
}
