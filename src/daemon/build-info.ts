// The version of this kapal build: package.json's version plus what `npm run build` recorded.

import { readFileSync } from 'node:fs';
import { installPath } from '../install-root.js';

export interface BuildInfo {
  version: string;
  gitCommit: string;
  buildTime: string;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function readBuildInfo(): BuildInfo {
  const pkg = readJson(installPath('package.json'));
  const built = readJson(installPath('dist/build-info.json'));
  return {
    version: String(pkg.version ?? '0.0.0'),
    gitCommit: String(built.gitCommit ?? 'unknown'),
    buildTime: String(built.buildTime ?? ''),
  };
}
