// Run by `npm run build`: records the commit and time of the build in dist/build-info.json.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

const info = { gitCommit: gitCommit(), buildTime: new Date().toISOString() };
writeFileSync(new URL('../build-info.json', import.meta.url), `${JSON.stringify(info)}\n`);
