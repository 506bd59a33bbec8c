// The PID file: written once listening, removed on shutdown if it is still ours.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writePidfile(file: string): () => void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o711 });
  writeFileSync(file, `${process.pid}\n`, { mode: 0o644 });
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}
