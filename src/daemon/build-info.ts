// The version of this kapal build: package.json's version plus what `npm run build` recorded.

import { readFileSync } from 'node:fs';

export interface BuildInfo {
  version: string;
  gitCommit: string;
  buildTime: string;
}

function readJson(url: URL): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function readBuildInfo(): BuildInfo {
  // src/daemon and dist/daemon are both two levels below the package root.
  const pkg = readJson(new URL('../../package.json', import.meta.url));
  const built = readJson(new URL('../build-info.json', import.meta.url));
  return {
    version: String(pkg.version ?? '0.0.0'),
    gitCommit: String(built.gitCommit ?? 'unknown'),
    buildTime: String(built.buildTime ?? ''),
  };
}
