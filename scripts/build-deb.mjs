// Builds the Debian package (`npm run deb`): copies the sources into a temporary folder, runs
// `dpkg-buildpackage -us -uc -b` there (debian/rules: TypeScript build, `npm ci --omit=dev`), checks
// the result with lintian (any error fails the build) and moves daqd_<version>_<arch>.deb, with its
// .changes and .buildinfo, into the output folder (default: build/).
//
// As root it installs dpkg-dev, debhelper and lintian with apt-get when they are missing; otherwise it
// says in one line what to install and fails.
//
// better-sqlite3, the one module compiled from C (minutes on a Raspberry Pi), is taken from this
// checkout's node_modules when `npm install` built it here for the same version, Node.js ABI and
// platform: it is handed to its installer (prebuild-install) as a local prebuilt binary, so `npm ci`
// in debian/rules installs it instead of compiling it again. --rebuild-native compiles it anyway.
//
// Usage: node scripts/build-deb.mjs [--out DIR] [--rebuild-native]
import { execFileSync, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(root, 'build') },
    'rebuild-native': { type: 'boolean', default: false },
  },
});
const out = path.resolve(values.out);

const tools = [
  { binary: 'dpkg-buildpackage', pkg: 'dpkg-dev' },
  { binary: 'dh', pkg: 'debhelper' },
  { binary: 'lintian', pkg: 'lintian' },
];
const onPath = (binary) =>
  (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => {
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
const missing = tools.filter((t) => !onPath(t.binary)).map((t) => t.pkg);
if (missing.length > 0) {
  if (process.getuid?.() !== 0) {
    process.stderr.write(
      `npm run deb needs ${missing.join(', ')}: run 'sudo apt-get install ${missing.join(' ')}'\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`deb: installing ${missing.join(' ')} with apt-get\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

// What the package is built from; debhelper's leftovers of a build made in place stay behind.
const sources = [
  'bin',
  'lib',
  'web',
  'scripts',
  'debian',
  'apps-available',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'README.md',
];
const leftovers = new Set(['build', 'daqd', '.debhelper', 'files', 'debhelper-build-stamp']);
const work = mkdtempSync(path.join(tmpdir(), 'daqd-deb-'));
const tree = path.join(work, 'daqd');
let status = 1;
try {
  mkdirSync(tree);
  for (const entry of sources) {
    cpSync(path.join(root, entry), path.join(tree, entry), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => {
        const rel = path.relative(path.join(root, 'debian'), src);
        return rel.startsWith('..') || rel === '' || !leftovers.has(rel.split(path.sep)[0] ?? '');
      },
    });
  }
  // The dev dependencies (the TypeScript compiler) of this checkout, when it has them; else
  // debian/rules installs them with npm ci.
  if (existsSync(path.join(root, 'node_modules', '.bin', 'tsc'))) {
    symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'));
  }
  const env = { ...process.env };
  if (!values['rebuild-native']) Object.assign(env, localSqlitePrebuild(path.join(work, 'prebuilds')));
  const build = spawnSync('dpkg-buildpackage', ['-us', '-uc', '-b'], { cwd: tree, stdio: 'inherit', env });
  if (build.status !== 0) throw new Error(`dpkg-buildpackage failed (exit ${build.status ?? build.signal})`);
  const changes = readdirSync(work).find((f) => f.endsWith('.changes'));
  if (changes === undefined) throw new Error('dpkg-buildpackage left no .changes file');
  process.stdout.write(`deb: lintian ${changes}\n`);
  const lint = spawnSync('lintian', ['--fail-on', 'error', '--display-info', path.join(work, changes)], {
    stdio: 'inherit',
  });
  if (lint.status !== 0) throw new Error(`lintian found errors (exit ${lint.status ?? lint.signal})`);
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(work).filter((f) => /\.(deb|changes|buildinfo)$/.test(f))) {
    copyFileSync(path.join(work, file), path.join(out, file));
    if (file.endsWith('.deb')) process.stdout.write(`deb: built ${path.join(out, file)}\n`);
  }
  status = 0;
} catch (err) {
  process.stderr.write(`deb: ${err instanceof Error ? err.message : String(err)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);

/**
 * The environment that lets prebuild-install take this checkout's better-sqlite3 binary: a tarball
 * named as its downloads are, in FOLDER. Empty when the checkout has no such build, or one of another
 * version than package-lock.json locks, or one this Node.js cannot load.
 */
function localSqlitePrebuild(folder) {
  const module = path.join(root, 'node_modules', 'better-sqlite3');
  const binary = path.join(module, 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(binary)) return {};
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const locked = lock.packages?.['node_modules/better-sqlite3']?.version;
  const { version } = JSON.parse(readFileSync(path.join(module, 'package.json'), 'utf8'));
  if (locked !== version) return {};
  // Built for another Node.js (another ABI) it does not load: then it is compiled.
  if (spawnSync(process.execPath, ['-e', `require(${JSON.stringify(binary)})`]).status !== 0) return {};
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  mkdirSync(folder, { recursive: true });
  execFileSync('tar', ['-czf', path.join(folder, name), '-C', module, 'build/Release/better_sqlite3.node']);
  process.stdout.write(`deb: better-sqlite3 ${version}: the binary this checkout built (${name})\n`);
  return { npm_config_better_sqlite3_local_prebuilds: folder };
}
