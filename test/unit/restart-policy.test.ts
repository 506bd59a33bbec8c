// moby's restart manager decisions, as pure functions: which exits restart, the doubling delay
// and its reset after a long run, what kapald's start restarts, and moby's checks.

import t from 'tap';
import { decideRestart, MAX_RESTART_DELAY_MS, restartPolicyError, restartsAtDaemonStart } from '../../src/domain/restart-policy.js';

const exit = (over: Partial<{ exitCode: number; manuallyStopped: boolean; restartCount: number; ranMs: number }> = {}) => ({ exitCode: 1, manuallyStopped: false, restartCount: 0, ranMs: 100, ...over });

t.test('which exits restart', async (t) => {
  t.equal(decideRestart({ Name: 'no' }, exit(), 0).restart, false);
  t.equal(decideRestart(undefined, exit(), 0).restart, false);
  t.equal(decideRestart({ Name: 'always' }, exit({ exitCode: 0 }), 0).restart, true);
  t.equal(decideRestart({ Name: 'unless-stopped' }, exit({ exitCode: 0 }), 0).restart, true);
  t.equal(decideRestart({ Name: 'on-failure' }, exit({ exitCode: 0 }), 0).restart, false, 'on-failure: exit 0 is no failure');
  t.equal(decideRestart({ Name: 'on-failure' }, exit({ restartCount: 100 }), 0).restart, true, 'no maximum: always again');
  t.equal(decideRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, exit({ restartCount: 1 }), 0).restart, true);
  t.equal(decideRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, exit({ restartCount: 2 }), 0).restart, false, 'the maximum reached');
  for (const Name of ['always', 'unless-stopped', 'on-failure']) t.equal(decideRestart({ Name }, exit({ manuallyStopped: true }), 0).restart, false, `${Name}: a stop by the user is final`);
});

t.test('the delay starts at 100 ms, doubles to a minute, and starts over after 10 s of running', async (t) => {
  let delay = 0;
  const seen: number[] = [];
  for (let i = 0; i < 12; i++) {
    delay = decideRestart({ Name: 'always' }, exit(), delay).delayMs;
    seen.push(delay);
  }
  t.same(seen.slice(0, 5), [100, 200, 400, 800, 1600]);
  t.equal(seen[seen.length - 1], MAX_RESTART_DELAY_MS);
  t.equal(decideRestart({ Name: 'always' }, exit({ ranMs: 10_000 }), 51_200).delayMs, 100);
});

t.test('at kapald\'s start: always even after a stop, the others as at an exit', async (t) => {
  t.equal(restartsAtDaemonStart({ Name: 'always' }, true, 0, 0), true);
  t.equal(restartsAtDaemonStart({ Name: 'unless-stopped' }, true, 0, 0), false);
  t.equal(restartsAtDaemonStart({ Name: 'unless-stopped' }, false, 0, 0), true);
  t.equal(restartsAtDaemonStart({ Name: 'on-failure', MaximumRetryCount: 1 }, false, 2, 1), false);
  t.equal(restartsAtDaemonStart({ Name: 'no' }, false, 1, 0), false);
});

t.test('moby\'s checks', async (t) => {
  t.equal(restartPolicyError({ Name: 'on-failure', MaximumRetryCount: 3 }), undefined);
  t.equal(restartPolicyError({ Name: '' }), undefined);
  t.match(restartPolicyError({ Name: 'x' }), /unknown policy 'x'/);
  t.match(restartPolicyError({ Name: 'always', MaximumRetryCount: 1 }), /only be used with 'on-failure'/);
  t.match(restartPolicyError({ Name: 'on-failure', MaximumRetryCount: -1 }), /cannot be negative/);
});
