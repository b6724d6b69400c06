// `npm pack` runs this before packing (prepack) to copy the repository's protocol/ (Lua scripts,
// vectors, schema) into the package, and after (postpack, --remove) to delete the copy again: the
// repository keeps one copy only, and the loader (src/scripts.js) tries the packaged copy first.
import { cpSync, rmSync } from 'node:fs';

const packaged = new URL('../protocol/', import.meta.url);
const repository = new URL('../../../protocol/', import.meta.url);
rmSync(packaged, { recursive: true, force: true });
if (!process.argv.includes('--remove')) cpSync(repository, packaged, { recursive: true });
