// Confines tar entry names to the layer directory: names are resolved lexically, then walked one
// component at a time with lstat, so no path the unpacker touches is ever reached through a symlink.

import { chmodSync, lchownSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../../domain/errors.js';

/**
 * The components of an entry name inside the layer: leading `/` and `./` are dropped, `..` is
 * resolved lexically and refused when it would climb above the layer root (docker's "breakout").
 * An empty list names the layer root itself.
 */
export function entryComponents(name: string, what = 'entry'): string[] {
  if (name.includes('\0')) throw invalidArgument(`layer ${what} ${JSON.stringify(name)} contains a NUL byte`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw invalidArgument(`layer ${what} ${JSON.stringify(name)} breaks out of the layer directory`);
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return parts;
}

export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The directory a layer is unpacked into. kapal is its only writer while unpacking, so an lstat
 * walk is race-free: what was checked is still what the next call operates on.
 */
export class LayerRoot {
  constructor(readonly dir: string) {
    const st = lstatSync(dir);
    if (!st.isDirectory()) throw invalidArgument(`layer directory ${dir} is not a directory`);
  }

  /** The absolute path of `parts`; its parents are created (0755, root) where missing. */
  prepare(parts: readonly string[], what: string): string {
    return this.#walk(parts, what, true) as string;
  }

  /** Like prepare(), creating nothing: undefined when a parent is missing. */
  lookup(parts: readonly string[], what: string): string | undefined {
    return this.#walk(parts, what, false);
  }

  /** The absolute path of `parts`, or undefined when any parent is missing, a symlink or not a directory. */
  find(parts: readonly string[]): string | undefined {
    try {
      return this.#walk(parts, '', false);
    } catch {
      return undefined;
    }
  }

  /** `what` names the path in errors: `entry "a/b"`, `hardlink target "c"`. */
  #walk(parts: readonly string[], what: string, create: boolean): string | undefined {
    let path = this.dir;
    for (let i = 0; i < parts.length - 1; i++) {
      path = join(path, parts[i]!);
      const st = lstatOrUndefined(path);
      if (st === undefined) {
        if (!create) return undefined;
        mkdirSync(path, 0o755);
        lchownSync(path, 0, 0); // not the group of a setgid parent
        chmodSync(path, 0o755); // mkdir's mode went through the umask
        continue;
      }
      const parent = JSON.stringify(parts.slice(0, i + 1).join('/'));
      if (st.isSymbolicLink()) {
        throw invalidArgument(`layer ${what} lies under ${parent}, which is a symlink`);
      }
      if (!st.isDirectory()) {
        throw invalidArgument(`layer ${what} lies under ${parent}, which is not a directory`);
      }
    }
    return parts.length === 0 ? this.dir : join(path, parts[parts.length - 1]!);
  }
}
