// Copies the web view's pages and style sheet into dist/web, next to the scripts `tsc -p web` wrote there.
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'web');
const to = join(root, 'dist', 'web');
await mkdir(to, { recursive: true });
for (const name of await readdir(from)) {
  if (name.endsWith('.html') || name.endsWith('.css')) await copyFile(join(from, name), join(to, name));
}
