// How the CLI reports failure and formats values, in docker's words: daemon errors as
// "Error response from daemon: ...", usage errors with a pointer to --help, sizes like go-units.

import { DaemonError } from './client.js';

/** A mistake on the command line. Flag errors exit 125 as docker's do; argument-count errors 1. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
  }
}

/**
 * Prints `err` on stderr as docker would and returns the exit status.
 * `helpCommand` is the command line that shows the relevant help, e.g. "kapal version --help".
 */
export function reportError(err: unknown, helpCommand: string): number {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\nSee '${helpCommand}'.\n`);
    return err.exitCode;
  }
  if (err instanceof DaemonError) {
    process.stderr.write(`Error response from daemon: ${err.message}\n`);
    return 1;
  }
  // ConnectError and the rest: the message is the whole story.
  if (err instanceof Error) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  process.stderr.write(`${String(err)}\n`);
  return 1;
}

/** The `-f, --format` flag of commands that can print JSON. */
export const FORMAT_FLAG = { format: { short: 'f', arg: 'string', help: 'Format output using "json"' } } as const;

/** The --format value a command accepts; Go templates are not supported yet. */
export function jsonFormat(format: string | boolean | string[] | undefined): boolean {
  if (format === undefined || format === '') return false;
  if (format === 'json') return true;
  throw new UsageError(`unsupported --format "${String(format)}": kapal supports only --format json so far`);
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** go-units' BytesSize: four significant digits and a binary unit, e.g. 31.03GiB. */
export function bytesSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < BINARY_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  // Number() drops the trailing zeros that %g drops, so 7.500 prints as 7.5.
  return `${Number(size.toPrecision(4))}${BINARY_UNITS[unit]}`;
}
