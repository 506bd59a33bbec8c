// The container lifecycle as one transition table. Every state change goes through transition();
// nothing else compares status strings to decide whether a move is allowed. An illegal move is a
// Conflict carrying moby's wording for that case.

import type { Container, ContainerStatus } from './container.js';
import { KapalError, conflict } from './errors.js';

export type LifecycleAction = 'start' | 'exit' | 'pause' | 'unpause' | 'remove' | 'kill';

const TABLE: Record<ContainerStatus, Partial<Record<LifecycleAction, ContainerStatus>>> = {
  created: { start: 'running', remove: 'removing' },
  running: { exit: 'exited', pause: 'paused', kill: 'running' },
  paused: { exit: 'exited', unpause: 'running', kill: 'paused' },
  restarting: { exit: 'exited', kill: 'restarting', start: 'running' },
  exited: { start: 'running', remove: 'removing' },
  dead: { remove: 'removing' },
  removing: {},
};

export function canTransition(from: ContainerStatus, action: LifecycleAction): boolean {
  return TABLE[from][action] !== undefined;
}

/** The status after `action`, or the Conflict docker answers for that move. */
export function transition(c: Pick<Container, 'id' | 'name' | 'state'>, action: LifecycleAction, asked = c.id): ContainerStatus {
  const next = TABLE[c.state.status][action];
  if (next !== undefined) return next;
  throw refusal(c, action, asked);
}

function refusal(c: Pick<Container, 'id' | 'name' | 'state'>, action: LifecycleAction, asked: string): KapalError {
  const from = c.state.status;
  if (from === 'removing') return conflict(`container is marked for removal and cannot be ${action === 'start' ? 'started' : 'changed'}`);
  switch (action) {
    case 'start':
      return from === 'paused'
        ? conflict('cannot start a paused container, try unpause instead')
        : conflict(`cannot start container ${c.id}: container is ${from}`);
    case 'kill':
      return conflict(`cannot kill container: ${asked}: container ${c.id} is not running`);
    case 'pause':
      return from === 'paused' ? conflict(`Container ${c.id} is already paused`) : conflict(`container ${c.id} is not running`);
    case 'unpause':
      return conflict(`Container ${c.id} is not paused`);
    case 'remove':
      return conflict(`cannot remove container "${c.name}": container is ${from}: stop the container before removing or force remove`);
    default:
      return conflict(`container ${c.id} is not running`);
  }
}

export const isRunning = (status: ContainerStatus): boolean => status === 'running' || status === 'paused' || status === 'restarting';
