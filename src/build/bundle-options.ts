// How kapald is bundled (bundle-kapald.ts), shared with the benchmark that measures the same
// libraries bundled the same way (bench/memory-floor.ts).

import type { BuildOptions } from 'esbuild';

export const NODE_BUNDLE: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addons stay in node_modules.
  external: ['better-sqlite3', 'koffi'],
  // Names are kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // The bundled CommonJS libraries call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as kapalCreateRequire } from 'node:module'; const require = kapalCreateRequire(import.meta.url);" },
  logLevel: 'warning',
};
