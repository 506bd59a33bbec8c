import t from 'tap';
import { canTransition, transition } from '../../src/domain/container-lifecycle.js';
import type { ContainerStatus } from '../../src/domain/container.js';

const c = (status: ContainerStatus) => ({
  id: 'a'.repeat(64),
  name: '/web',
  state: { status, pid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: null, finishedAt: null },
});

t.test('the legal moves', async (t) => {
  t.equal(transition(c('created'), 'start'), 'running');
  t.equal(transition(c('exited'), 'start'), 'running');
  t.equal(transition(c('running'), 'exit'), 'exited');
  t.equal(transition(c('running'), 'pause'), 'paused');
  t.equal(transition(c('paused'), 'unpause'), 'running');
  t.equal(transition(c('exited'), 'remove'), 'removing');
  t.equal(transition(c('created'), 'remove'), 'removing');
});

t.test('illegal moves are 409s with moby\'s wording', async (t) => {
  t.throws(() => transition(c('running'), 'remove'), {
    kind: 'Conflict',
    message: 'cannot remove container "/web": container is running: stop the container before removing or force remove',
  });
  t.throws(() => transition(c('exited'), 'kill', 'web'), { kind: 'Conflict', message: `cannot kill container: web: container ${'a'.repeat(64)} is not running` });
  t.throws(() => transition(c('paused'), 'pause'), { message: `Container ${'a'.repeat(64)} is already paused` });
  t.throws(() => transition(c('running'), 'unpause'), { message: `Container ${'a'.repeat(64)} is not paused` });
  t.throws(() => transition(c('paused'), 'start'), { message: 'cannot start a paused container, try unpause instead' });
  t.throws(() => transition(c('created'), 'pause'), { message: `container ${'a'.repeat(64)} is not running` });
  t.notOk(canTransition('removing', 'start'));
});
