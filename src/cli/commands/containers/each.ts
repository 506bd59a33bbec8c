// docker's way with verbs over several containers (stop a b c): each in turn, the name echoed on
// success, the daemon's error on stderr otherwise, and 1 at the end if any failed.

import { DaemonError } from '../../client.js';

export async function forEach(names: string[], fn: (name: string) => Promise<void>, opts: { echo?: boolean } = {}): Promise<number> {
  let failed = false;
  for (const name of names) {
    try {
      await fn(name);
      if (opts.echo !== false) process.stdout.write(`${name}\n`);
    } catch (err) {
      if (!(err instanceof DaemonError)) throw err;
      process.stderr.write(`Error response from daemon: ${err.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

export const enc = encodeURIComponent;
