// Command-line flags as docker's pflag reads them: --name value, --name=value, -x value, -xVALUE,
// -abc for booleans, repeatable flags (-e A -e B), "--" ends the flags. Help text comes from the
// same declarations.

import { UsageError } from './output.js';

export interface Flag {
  short?: string;
  /** The value's placeholder in help ("string", "list"); a flag without one is a boolean. */
  arg?: string;
  help: string;
  /** Repeatable: every value is kept, in order (-e, -v, -p, --label, ...). */
  multi?: boolean;
  /** Shown in help as (default ...). */
  default?: string;
}

export type FlagSpec = Record<string, Flag>;

/** Parsed flags by long name: the value, every value of a multi flag, or a boolean's (--x=false: false). */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: FlagValues;
  args: string[];
}

function set(values: FlagValues, name: string, flag: Flag, value: string): void {
  if (!flag.multi) {
    values[name] = value;
    return;
  }
  const list = values[name];
  values[name] = Array.isArray(list) ? [...list, value] : [value];
}

/** Parses `argv` against `spec`; with `stopAtFirstArg` everything from the first argument on is an argument. */
export function parseFlags(argv: string[], spec: FlagSpec, stopAtFirstArg: boolean): Parsed {
  const byShort = new Map(Object.entries(spec).flatMap(([name, f]) => (f.short ? [[f.short, name] as const] : [])));
  const values: FlagValues = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--' || ((!word.startsWith('-') || word === '-') && stopAtFirstArg)) {
      args.push(...argv.slice(word === '--' ? i + 1 : i));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      args.push(word);
    } else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
      const inline = eq < 0 ? undefined : word.slice(eq + 1);
      if (!flag) throw new UsageError(`unknown flag: --${name}`);
      if (!flag.arg) {
        if (inline !== undefined && inline !== 'true' && inline !== 'false') {
          throw new UsageError(`invalid argument "${inline}" for "--${name}" flag: expected true or false`);
        }
        values[name] = inline !== 'false';
        continue;
      }
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      set(values, name, flag, value);
    } else {
      i = parseShorts(argv, i, spec, byShort, values);
    }
  }
  return { values, args };
}

/** One word of short flags, e.g. -it or -fjson or -f json; returns the index of the last word used. */
function parseShorts(argv: string[], i: number, spec: FlagSpec, byShort: Map<string, string>, values: FlagValues): number {
  const word = argv[i]!;
  for (let j = 1; j < word.length; j++) {
    const name = byShort.get(word[j]!);
    if (name === undefined) throw new UsageError(`unknown shorthand flag: '${word[j]}' in ${word}`);
    const flag = spec[name]!;
    if (!flag.arg) {
      values[name] = true;
      continue;
    }
    // -xVALUE and -x=VALUE both mean VALUE, as in pflag.
    const rest = word.slice(j + 1).replace(/^=/, '');
    const value = rest !== '' ? rest : argv[++i];
    if (value === undefined) throw new UsageError(`flag needs an argument: '${word[j]}' in ${word}`);
    set(values, name, flag, value);
    break;
  }
  return i;
}

export function flagHelp(spec: FlagSpec): string {
  const rows = Object.entries(spec).map(([name, f]) => [`${f.short ? `-${f.short}, ` : '    '}--${name}${f.arg ? ` ${f.arg}` : ''}`, `${f.help}${f.default ? ` (default ${f.default})` : ''}`] as const);
  const width = Math.max(...rows.map(([left]) => left.length)) + 3;
  return rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`).join('\n');
}

// ---- reading parsed values ----------------------------------------------------------------------

export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v[v.length - 1];
  return typeof v === 'string' ? v : undefined;
}

export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

export function list(values: FlagValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

/** An integer flag; `fallback` when not given. */
export function int(values: FlagValues, name: string, fallback?: number): number | undefined {
  const v = str(values, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}
