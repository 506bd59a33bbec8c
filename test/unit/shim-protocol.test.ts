// The shim protocol and spec format are defined twice, once in C (native/) and once in TypeScript
// (src/runtime/shim/): these tests fail as soon as the two disagree, in either direction.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/daemon.js';
import * as protocol from '../../src/runtime/shim/protocol.js';
import { SPEC_ARITY } from '../../src/runtime/shim/spec.js';

const header = readFileSync(path.join(ROOT, 'native/shim-protocol.h'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** `4 * 1024`, `(32768)`: the only expressions the header uses. */
function evaluate(expr: string): number {
  const factors = expr.replace(/[()\s]/g, '').split('*');
  if (!factors.every((f) => /^\d+$/.test(f))) throw new Error(`cannot evaluate #define value ${expr}`);
  return factors.reduce((product, f) => product * Number(f), 1);
}

const pascal = (snake: string) => snake.split('_').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');

function headerDefines(): Record<string, number> {
  const defines: Record<string, number> = {};
  for (const m of header.matchAll(/^#define (SHIM_\w+) (.+)$/gm)) defines[m[1]!] = evaluate(m[2]!);
  return defines;
}

function headerEnums(): Record<string, Record<string, number>> {
  const enums: Record<string, Record<string, number>> = {};
  for (const m of header.matchAll(/enum (\w+) \{([^}]*)\}/g)) {
    const entries: Record<string, number> = {};
    for (const e of m[2]!.matchAll(/(\w+) = (\d+)/g)) entries[e[1]!] = Number(e[2]);
    enums[pascal(m[1]!)] = entries;
  }
  return enums;
}

const tsDefines = Object.fromEntries(Object.entries(protocol).filter(([k, v]) => /^SHIM_/.test(k) && typeof v === 'number'));
const tsEnums = Object.fromEntries(Object.entries(protocol).filter(([k, v]) => /^Shim[A-Z]/.test(k) && typeof v === 'object'));

t.test('every #define of shim-protocol.h has the same value in protocol.ts, and nothing more', async (t) => {
  const defines = headerDefines();
  t.ok(Object.keys(defines).length >= 4, 'the header was parsed');
  t.strictSame(tsDefines, defines);
});

t.test('every enum of shim-protocol.h is a protocol.ts object with the same names and numbers', async (t) => {
  const enums = headerEnums();
  t.same(Object.keys(enums).sort(), ['ShimAttachFlag', 'ShimClientMsg', 'ShimOutputMsg', 'ShimStartMsg', 'ShimSyncMsg']);
  t.strictSame(tsEnums, enums);
});

t.test('message numbers are unique across all channels', async (t) => {
  const messages = Object.entries(headerEnums())
    .filter(([name]) => name.endsWith('Msg'))
    .flatMap(([, entries]) => Object.values(entries));
  t.equal(new Set(messages).size, messages.length);
  t.ok(messages.every((n) => n > 0 && n < 256), 'each fits the type byte');
});

t.test("the C spec parser's key table equals SPEC_ARITY", async (t) => {
  const source = readFileSync(path.join(ROOT, 'native/spec.c'), 'utf8');
  const table = Object.fromEntries([...source.matchAll(/KEY\("([^"]+)", (\d+),/g)].map((m) => [m[1]!, Number(m[2])]));
  t.ok(Object.keys(table).length > 20, 'the table was parsed');
  t.strictSame(table, SPEC_ARITY);
  t.same(Object.keys(table), Object.keys(SPEC_ARITY), 'in the same order');
});
