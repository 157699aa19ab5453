import { lstat, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/daqd.js';

describe('cli: daqd apps', () => {
  let dir: string;
  let config: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-apps-'));
    await mkdir(path.join(dir, 'etc'));
    await mkdir(path.join(dir, 'apps-available'));
    await mkdir(path.join(dir, 'apps-enabled'));
    config = path.join(dir, 'etc', 'daqd.ini');
    await writeFile(config, '[main]\ninclude = ../apps-enabled/*.ini\n');
    await writeFile(
      path.join(dir, 'apps-available', 'hiverize.ini'),
      '[hiverize]\ntype = application\nrealm = hiverize\napplication = mqttkit\n',
    );
    await writeFile(
      path.join(dir, 'apps-available', 'basic.ini'),
      '[basic]\ntype = application\nrealm = basic\napplication = basic\n',
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('enables an app as a relative symlink, lists it, and disables it', async () => {
    const enabled = await runCli(['apps', 'enable', 'hiverize', '--config', config]);
    expect(enabled.code).to.equal(0);
    const link = path.join(dir, 'apps-enabled', 'hiverize.ini');
    expect((await lstat(link)).isSymbolicLink()).to.equal(true);
    expect(await readlink(link)).to.equal('../apps-available/hiverize.ini');

    const list = await runCli(['apps', 'list', '--config', config]);
    expect(list.stdout.split('\n')).to.include.members(['          basic', '[enabled] hiverize']);

    const check = await runCli(['check', '--config', config]);
    expect(check.stdout).to.contain('realms: hiverize');

    const again = await runCli(['apps', 'enable', 'hiverize', '--config', config]);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain('already enabled');

    const disabled = await runCli(['apps', 'disable', 'hiverize', '--config', config]);
    expect(disabled.code).to.equal(0);
    let gone = false;
    await lstat(link).catch(() => {
      gone = true;
    });
    expect(gone).to.equal(true);
  });

  it('refuses names with a slash, with .., or without such an app', async () => {
    const cases: [string, number, RegExp][] = [
      ['../etc/daqd', 64, /must be a plain name/],
      ['a/b', 64, /must be a plain name/],
      ['..', 64, /must not start with '\.' or contain '\.\.'/],
      ['nosuchapp', 66, /no app 'nosuchapp'/],
    ];
    for (const [name, code, message] of cases) {
      const result = await runCli(['apps', 'enable', name, '--config', config]);
      expect(result.code, name).to.equal(code);
      expect(result.stderr, name).to.match(message);
    }
    const notEnabled = await runCli(['apps', 'disable', 'basic', '--config', config]);
    expect(notEnabled.code).to.equal(66);
    expect(notEnabled.stderr).to.contain("app 'basic' is not enabled");
  });
});
