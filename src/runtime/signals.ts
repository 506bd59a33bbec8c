// Signal names and numbers as docker accepts them: "KILL", "SIGKILL", "sigkill", "9".

import { constants } from 'node:os';
import { invalidArgument } from '../domain/errors.js';

const BY_NAME = constants.signals as Record<string, number>;

export function parseSignal(value: string): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n < 1 || n > 64) throw invalidArgument(`Invalid signal: ${value}`);
    return n;
  }
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRTMIN(\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[2] ?? 0) : 64 - Number(rt[2] ?? 0);
  const n = BY_NAME[name];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${value}`);
  return n;
}

export const SIGKILL = 9;
