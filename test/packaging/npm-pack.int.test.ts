import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../support/daqd.js';

/** `npm pack` and a global install of its tarball in a temporary prefix, as a user would. */
describe('packaging: the npm package', function () {
  this.timeout(300_000);
  let dir: string;
  let tarball: string;
  const version = async () =>
    (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-npm-'));
    // prepack builds dist/ first.
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, stdio: 'ignore' });
    tarball = path.join(dir, `daqd-${await version()}.tgz`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds the built dist/lib and the shim, no tests or benchmarks', () => {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).to.include.members([
      'package/bin/daqd',
      'package/dist/lib/cli/main.js',
      'package/package.json',
      'package/etc/daqd.ini',
      'package/apps-available/hiverize.ini',
    ]);
    expect(
      files.filter((f) =>
        /^package\/(test|bench|debian|scripts|lib)\/|^package\/dist\/(test|bench)\//.test(f),
      ),
    ).to.deep.equal([]);
  });

  it('installs globally; daqd --help and npx daqd --help work', async () => {
    const prefix = path.join(dir, 'prefix');
    const env = {
      ...process.env,
      npm_config_prefix: prefix,
      PATH: `${path.join(prefix, 'bin')}:${process.env['PATH']}`,
    };
    // Without install scripts: compiling better-sqlite3 is npm's part (the quick-start test does it);
    // --help and --version load none of the native modules.
    execFileSync('npm', ['install', '-g', '--ignore-scripts', '--no-audit', '--no-fund', tarball], {
      cwd: dir,
      env,
      stdio: 'ignore',
    });
    const installed = await readdir(path.join(prefix, 'lib', 'node_modules', 'daqd', 'dist', 'lib', 'cli'));
    expect(installed).to.include('main.js');
    const help = spawnSync(path.join(prefix, 'bin', 'daqd'), ['--help'], { encoding: 'utf8', env });
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^Usage: daqd \[command\] \[options\]/);
    expect(help.stdout).to.include('migrate-kotori');
    const npx = spawnSync('npx', ['daqd', '--version'], { encoding: 'utf8', env, cwd: dir });
    expect(npx.status, npx.stderr).to.equal(0);
    expect(npx.stdout.trim()).to.equal(`daqd ${await version()}`);
  });
});
