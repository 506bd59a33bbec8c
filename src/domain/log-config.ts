// A container's logging: the drivers kapal has (json-file, none), docker's json-file options with
// moby's wording for bad ones, and how a container's LogConfig merges with kapald's log-opts.
// Pure data; the shim rotates (docs/shim.md), src/runtime/json-log.ts reads.

import { invalidArgument } from './errors.js';

export interface LogConfig {
  Type: string;
  Config: Record<string, string>;
}

/** How the shim bounds a json-file log: `maxSize` 0 is unbounded. */
export interface LogRotation {
  maxSize: number;
  maxFile: number;
}

export const LOG_DRIVERS = ['json-file', 'none'] as const;

/**
 * kapal's choice when neither the container nor kapald's log-opts give `max-size`: docker's json-file
 * is unbounded by default and fills disks. 5 files of 10 MB keep the last 40 to 50 MB of output.
 */
export const DEFAULT_LOG_OPTS: Readonly<Record<string, string>> = { 'max-size': '10m', 'max-file': '5' };

// moby's jsonfilelog.ValidateLogOpt list; those kapal does not implement are refused, not ignored.
const NOT_IMPLEMENTED = new Set(['labels', 'labels-regex', 'env', 'env-regex', 'tag']);

const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };
const BINARY: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
const GO_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** go-units' parseSize: "10m", "1.5g", "500k", "10 MB", "2KiB" (FromHumanSize: decimal, RAMInBytes: binary). */
function parseSize(text: string, units: Record<string, number>): number {
  const sep = Math.max(...[...'0123456789. '].map((c) => text.lastIndexOf(c)));
  if (sep < 0) throw new Error(`invalid size: '${text}'`);
  const num = text[sep] === ' ' ? text.slice(0, sep) : text.slice(0, sep + 1);
  let sfx = text.slice(sep + 1);
  if (!GO_FLOAT.test(num)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: invalid syntax`);
  const size = Number(num);
  if (size < 0) throw new Error(`invalid size: '${text}'`);
  if (sfx === '') return Math.trunc(size);
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = units[sfx[0]!];
  if (mul === undefined || (sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size * mul);
}

export const fromHumanSize = (text: string): number => parseSize(text, DECIMAL);

/** Go's strconv.Atoi, with its error text. */
function atoi(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  return n;
}

function parseBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

/** moby's logger.ValidateLogOpts and jsonfilelog.New checks, as errors (not yet InvalidArgument). */
function check(cfg: LogConfig): LogRotation {
  const o = cfg.Config;
  if (!(LOG_DRIVERS as readonly string[]).includes(cfg.Type)) {
    throw new Error(`logger: no log driver named '${cfg.Type}' is registered: kapal has json-file and none`);
  }
  if (cfg.Type === 'none') return { maxSize: 0, maxFile: 1 };
  // mode and max-buffer-size are moby's for every driver; the shim never blocks on its log anyway.
  const mode = o.mode ?? '';
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw new Error(`logger: logging mode not supported: ${mode}`);
  if (o['max-buffer-size'] !== undefined) {
    if (mode !== 'non-blocking') throw new Error("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    try {
      parseSize(o['max-buffer-size'], BINARY);
    } catch (err) {
      throw new Error(`error parsing option max-buffer-size: ${(err as Error).message}`);
    }
  }
  for (const key of Object.keys(o)) {
    if (['max-size', 'max-file', 'compress', 'mode', 'max-buffer-size'].includes(key)) continue;
    if (NOT_IMPLEMENTED.has(key)) throw new Error(`log opt '${key}' for json-file log driver is not supported by kapal`);
    throw new Error(`unknown log opt '${key}' for json-file log driver`);
  }
  let maxSize = 0;
  // "-1" is docker's documented default (unbounded), which go-units itself refuses: kapal takes it.
  if (o['max-size'] !== undefined && o['max-size'] !== '-1') {
    maxSize = fromHumanSize(o['max-size']);
    if (maxSize <= 0) throw new Error('max-size must be a positive number');
  }
  let maxFile = 1;
  if (o['max-file'] !== undefined) {
    maxFile = atoi(o['max-file']);
    if (maxFile < 1) throw new Error('max-file cannot be less than 1');
  }
  if (o.compress !== undefined && parseBool(o.compress)) throw new Error("log opt 'compress' for json-file log driver is not supported by kapal");
  return { maxSize, maxFile };
}

/** A container's LogConfig checked: what the shim does with it, or InvalidArgument with moby's words. */
export function logRotation(cfg: LogConfig): LogRotation {
  try {
    return check(cfg);
  } catch (err) {
    throw invalidArgument((err as Error).message);
  }
}

/** kapald's log-driver and log-opts, checked at start as dockerd does. */
export function checkDaemonLogConfig(cfg: LogConfig): void {
  check(cfg);
}

/**
 * The LogConfig a new container gets, as moby's mergeAndVerifyLogConfig makes it: an empty Type is
 * kapald's driver, and with that driver kapald's log-opts fill the keys the request leaves out. Then
 * kapal's bounded default when nothing gave `max-size`. Inspect shows the result.
 */
export function effectiveLogConfig(requested: { Type?: string | undefined; Config?: Record<string, string> | null | undefined } | undefined, daemon: LogConfig): LogConfig {
  const type = requested?.Type || daemon.Type;
  const config: Record<string, string> = { ...(requested?.Config ?? {}) };
  if (type === daemon.Type) for (const [k, v] of Object.entries(daemon.Config)) config[k] ??= v;
  if (type === 'json-file' && config['max-size'] === undefined) for (const [k, v] of Object.entries(DEFAULT_LOG_OPTS)) config[k] ??= v;
  const out = { Type: type, Config: config };
  logRotation(out);
  return out;
}
