import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { LOCK_FILE } from '../../lib/core/data-dir-lock.js';
import { DaemonProcess, freePort } from '../support/daqd.js';

/** A main file with the embedded broker and SQLite, all in `dir/var`, on ports of its own. */
async function writeConfig(dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    `[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n[http]\nport = ${await freePort()}\n` +
      `[mqtt]\nembedded = true\nport = ${await freePort()}\n[storage]\nbackend = sqlite\n`,
  );
  return file;
}

describe('data_dir lock: one daqd per data_dir', function () {
  this.timeout(30_000);
  let dir: string;
  const daemons: DaemonProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-datadir-'));
  });
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function start(config: string): DaemonProcess {
    const daemon = new DaemonProcess(config);
    daemons.push(daemon);
    return daemon;
  }

  it('a second daqd on the same data_dir says which daqd holds it, and exits 1', async () => {
    const first = start(await writeConfig(dir, 'a.ini'));
    await first.waitFor(/ready: /);

    const second = start(await writeConfig(dir, 'b.ini'));
    expect(await second.exit()).to.equal(1);
    expect(second.output).to.include(`another daqd (pid ${first.pid}) holds data_dir`);
    expect(second.output).not.to.match(/LOCK:|LevelDB|IO error|resource temporarily unavailable/i);
    expect(await readFile(path.join(dir, 'var', LOCK_FILE), 'utf8')).to.match(new RegExp(`^${first.pid}\n`));
    // The first one runs on, and removes its lock when it stops.
    expect(await first.stop()).to.equal(0);
    expect(first.output).not.to.match(/ (error|crit) \[/);
    await readFile(path.join(dir, 'var', LOCK_FILE)).then(
      () => expect.fail('lock file left behind'),
      (err: NodeJS.ErrnoException) => expect(err.code).to.equal('ENOENT'),
    );
  });

  it('a data_dir daqd cannot write to is one clear line and exit 1', async () => {
    // A plain file where the folder should be: no user can create data_dir below it.
    await writeFile(path.join(dir, 'var'), '');
    const daemon = start(await writeConfig(dir, 'a.ini'));
    expect(await daemon.exit()).to.equal(1);
    const errors = daemon.output.split('\n').filter((l) => / (error|crit) /.test(l));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/cannot write to data_dir '[^']*var': E[A-Z]+: /, errors[0]);
    expect(daemon.output).not.to.match(/\n\s+at /);
  });

  it('takes over the lock of a daqd that was killed', async () => {
    const first = start(await writeConfig(dir, 'a.ini'));
    await first.waitFor(/ready: /);
    first.signal('SIGKILL');
    await first.exit();

    const second = start(await writeConfig(dir, 'b.ini'));
    await second.waitFor(/ready: /);
    expect(second.output).to.match(
      new RegExp(
        ` warning \\[daqd\\] data_dir '[^']*': took over the lock of daqd pid ${first.pid}, which is gone`,
      ),
    );
  });

  it('takes over a lock whose pid now belongs to another process', async () => {
    const config = await writeConfig(dir, 'a.ini');
    // This test process is alive, but did not write the lock: its start time differs.
    await mkdir(path.join(dir, 'var'));
    await writeFile(path.join(dir, 'var', LOCK_FILE), `${process.pid}\n1\n`);
    const daemon = start(config);
    await daemon.waitFor(/ready: /);
    expect(daemon.output).to.include(`took over the lock of daqd pid ${process.pid}, which is gone`);
  });
});
