// Where this kapal checkout or install lives: the directory above src/ and dist/. This module sits
// one level below it whether it runs as TypeScript (src/), as compiled JavaScript (dist/), or
// bundled into dist/kapald.js, so files found from here (the shim, migrations, package.json)
// are found the same way in all three.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const INSTALL_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const installPath = (...parts: string[]): string => path.join(INSTALL_ROOT, ...parts);
