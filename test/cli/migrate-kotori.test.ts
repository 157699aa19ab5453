import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { migrateKotori } from '../../lib/cli/migrate-kotori.js';

const app = (realm: string) => `[${realm}]\ntype = application\nrealm = ${realm}\napplication = mqttkit\n`;

describe('cli: daqd migrate-kotori', () => {
  let dir: string;
  let from: string;
  let to: string;
  let lines: string[];
  let errors: string[];

  const run = (dryRun = false) =>
    migrateKotori({
      from,
      to,
      dryRun,
      out: (line) => lines.push(line),
      err: (line) => errors.push(line),
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-migrate-'));
    from = path.join(dir, 'kotori');
    to = path.join(dir, 'daqd');
    lines = [];
    errors = [];
    await mkdir(path.join(from, 'apps-available'), { recursive: true });
    await mkdir(path.join(from, 'apps-enabled'), { recursive: true });
    await writeFile(path.join(from, 'apps-available', 'hiveeyes.ini'), app('hiveeyes'));
    await writeFile(path.join(from, 'apps-available', 'weather.ini'), app('weather'));
    await writeFile(path.join(from, 'apps-available', 'notes.txt'), 'not an app\n');
    await symlink('../apps-available/hiveeyes.ini', path.join(from, 'apps-enabled', 'hiveeyes.ini'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('copies every app and links the enabled ones, keeping their names', async () => {
    expect(await run()).to.equal(0);
    expect(errors).to.deep.equal([]);
    expect((await readdir(path.join(to, 'apps-available'))).sort()).to.deep.equal([
      'hiveeyes.ini',
      'weather.ini',
    ]);
    expect(await readFile(path.join(to, 'apps-available', 'weather.ini'), 'utf8')).to.equal(app('weather'));
    const link = path.join(to, 'apps-enabled', 'hiveeyes.ini');
    expect((await lstat(link)).isSymbolicLink()).to.equal(true);
    expect(await readlink(link)).to.equal('../apps-available/hiveeyes.ini');
    expect(await readdir(path.join(to, 'apps-enabled'))).to.deep.equal(['hiveeyes.ini']);
    expect(lines).to.include(
      `copy ${path.join(from, 'apps-available', 'weather.ini')} -> ${path.join(to, 'apps-available', 'weather.ini')}`,
    );
    expect(lines).to.include(`enable hiveeyes: ${link} -> ../apps-available/hiveeyes.ini`);
    expect(lines).to.include('copied 2 app file(s), enabled 1; skipped 0, failed 0');
  });

  it('run again, skips everything and says so; changes nothing', async () => {
    await run();
    lines = [];
    expect(await run()).to.equal(0);
    expect(lines).to.include(
      `skipped ${path.join(from, 'apps-available', 'hiveeyes.ini')}: already in ${path.join(to, 'apps-available')} with the same content`,
    );
    expect(lines.some((l) => l.includes('already enabled'))).to.equal(true);
    expect(lines).to.include('copied 0 app file(s), enabled 0; skipped 3, failed 0');
  });

  it('never overwrites a file of the target that differs, and says which', async () => {
    await mkdir(path.join(to, 'apps-available'), { recursive: true });
    await writeFile(path.join(to, 'apps-available', 'weather.ini'), '; my own\n');
    expect(await run()).to.equal(0);
    expect(await readFile(path.join(to, 'apps-available', 'weather.ini'), 'utf8')).to.equal('; my own\n');
    expect(lines).to.include(
      `skipped ${path.join(from, 'apps-available', 'weather.ini')}: ${path.join(to, 'apps-available', 'weather.ini')} exists with other content; left as it is (compare the two by hand)`,
    );
  });

  it('keeps an app disabled in daqd that is a file there, and a link pointing elsewhere', async () => {
    await mkdir(path.join(to, 'apps-enabled'), { recursive: true });
    await writeFile(path.join(to, 'apps-enabled', 'hiveeyes.ini'), app('other'));
    expect(await run()).to.equal(0);
    expect((await lstat(path.join(to, 'apps-enabled', 'hiveeyes.ini'))).isSymbolicLink()).to.equal(false);
    expect(
      lines.some((l) =>
        l.endsWith(`${path.join(to, 'apps-enabled', 'hiveeyes.ini')} exists (a file); left as it is`),
      ),
    ).to.equal(true);
  });

  it('an enabled app that is a file, or links outside apps-available, becomes an available app of its name', async () => {
    await writeFile(path.join(from, 'apps-enabled', 'local.ini'), app('local'));
    await mkdir(path.join(dir, 'elsewhere'));
    await writeFile(path.join(dir, 'elsewhere', 'x.ini'), app('remote'));
    await symlink(path.join(dir, 'elsewhere', 'x.ini'), path.join(from, 'apps-enabled', 'remote.ini'));
    expect(await run()).to.equal(0);
    expect(await readFile(path.join(to, 'apps-available', 'local.ini'), 'utf8')).to.equal(app('local'));
    expect(await readFile(path.join(to, 'apps-available', 'remote.ini'), 'utf8')).to.equal(app('remote'));
    expect(await readlink(path.join(to, 'apps-enabled', 'local.ini'))).to.equal(
      '../apps-available/local.ini',
    );
    expect(await readlink(path.join(to, 'apps-enabled', 'remote.ini'))).to.equal(
      '../apps-available/remote.ini',
    );
    expect(lines).to.include('copied 4 app file(s), enabled 3; skipped 0, failed 0');
  });

  it('skips a dangling link with a line naming its target', async () => {
    await symlink('../apps-available/gone.ini', path.join(from, 'apps-enabled', 'gone.ini'));
    expect(await run()).to.equal(0);
    expect(lines).to.include(
      `skipped ${path.join(from, 'apps-enabled', 'gone.ini')}: it links to ${path.join(from, 'apps-available', 'gone.ini')}, which does not exist`,
    );
    expect(await readdir(path.join(to, 'apps-enabled'))).to.deep.equal(['hiveeyes.ini']);
  });

  it('--dry-run prints the same plan and writes nothing', async () => {
    expect(await run(true)).to.equal(0);
    expect(lines).to.include(
      `would enable hiveeyes: ${path.join(to, 'apps-enabled', 'hiveeyes.ini')} -> ../apps-available/hiveeyes.ini`,
    );
    expect(lines).to.include('dry run, would have copied 2 app file(s), enabled 1; skipped 0, failed 0');
    expect(
      await stat(to).then(
        () => 'there',
        (e: NodeJS.ErrnoException) => e.code,
      ),
    ).to.equal('ENOENT');
  });

  it('keeps the mode of a file others may not read, and says the daqd user needs to read it', async () => {
    await chmod(path.join(from, 'apps-available', 'weather.ini'), 0o640);
    await run();
    expect((await stat(path.join(to, 'apps-available', 'weather.ini'))).mode & 0o777).to.equal(0o640);
    expect(
      lines.some((l) =>
        l.startsWith(
          `  note: ${path.join(to, 'apps-available', 'weather.ini')} is not readable by every user (mode 640)`,
        ),
      ),
    ).to.equal(true);
  });

  it('a folder without Kotori apps is exit 66 with one line', async () => {
    from = path.join(dir, 'nothing');
    expect(await run()).to.equal(66);
    expect(errors).to.deep.equal([
      `daqd migrate-kotori: no Kotori apps in ${from} (neither apps-available/ nor apps-enabled/ is there)`,
    ]);
  });

  it('a file that cannot be read is one error line, the others are copied, exit 1', async () => {
    if (process.getuid?.() === 0) {
      // root reads any file: a folder in place of the file makes the copy fail instead.
      await mkdir(path.join(from, 'apps-available', 'broken.ini'));
    } else {
      await writeFile(path.join(from, 'apps-available', 'broken.ini'), app('broken'));
      await chmod(path.join(from, 'apps-available', 'broken.ini'), 0);
    }
    expect(await run()).to.equal(1);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(
      new RegExp(`^daqd migrate-kotori: ${path.join(from, 'apps-available', 'broken.ini')}: `),
    );
    expect((await readdir(path.join(to, 'apps-available'))).sort()).to.deep.equal([
      'hiveeyes.ini',
      'weather.ini',
    ]);
  });
});
