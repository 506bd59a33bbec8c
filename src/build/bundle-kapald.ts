// Run by `npm run build` after tsc: bundles kapald (dist/main.js and every library it imports)
// into one file, dist/kapald.js, which bin/kapald runs. One module instead of some 600 keeps
// about 7 MB less resident in the idle daemon (module records, per-file source strings and
// scopes), with the same code. Names are kept, so stack traces stay readable; dist/kapald.js.map
// leads back to the TypeScript (node --enable-source-maps). The native addons stay in
// node_modules, loaded through the require the banner provides.

import { build } from 'esbuild';
import { installPath } from '../install-root.js';

await build({
  entryPoints: [installPath('dist/main.js')],
  outfile: installPath('dist/kapald.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'koffi'],
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  // The bundled CommonJS libraries call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as kapalCreateRequire } from 'node:module'; const require = kapalCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
