import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AccessRules } from '../../lib/http/auth/access-rules.js';
import { verifySecret } from '../../lib/http/auth/secret-hash.js';
import { passwd } from '../http/auth/auth-stack.js';
import { runCli } from '../support/daqd.js';

describe('daqd passwd', function () {
  this.timeout(60_000);
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-passwd-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adds, changes and removes users in [users], keeping the rest of the file as written', async () => {
    const file = path.join(dir, 'access.ini');
    await writeFile(file, '# who may do what\n[realm:home]\nread = me\n');
    expect((await passwd(['--access-file', file, 'Me'], 'first\n')).code).to.equal(0);
    const changed = await passwd(['--access-file', file, 'me'], 'second\n');
    expect(changed.code, changed.stderr).to.equal(0);
    expect(changed.stdout).to.include("changed 'me'");
    expect((await passwd(['--access-file', file, 'other'], 'x\n')).code).to.equal(0);
    const text = await readFile(file, 'utf8');
    expect(text).to.include('# who may do what\n');
    expect(text).to.include('[realm:home]\nread = me\n');
    const { rules, problems } = AccessRules.parse(text, file);
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect([...rules!.users.keys()]).to.deep.equal(['me', 'other']);
    expect(await verifySecret('second', rules!.users.get('me')!)).to.equal(true);
    expect(await verifySecret('first', rules!.users.get('me')!)).to.equal(false);
    const removed = await passwd(['--access-file', file, '--delete', 'other'], '');
    expect(removed.code).to.equal(0);
    expect(AccessRules.parse(await readFile(file, 'utf8'), file).rules!.users.has('other')).to.equal(false);
  });

  it('creates the file readable by its owner only, and refuses what it cannot do', async () => {
    const file = path.join(dir, 'new.ini');
    expect((await passwd(['--access-file', file, '--token', 'node-1'], '')).code).to.equal(0);
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    expect((await passwd(['--access-file', file, 'anonymous'], 'x\n')).code).to.equal(64);
    expect((await passwd(['--access-file', file, 'a:b'], 'x\n')).code).to.equal(64);
    expect((await passwd(['--access-file', file, 'empty'], '\n')).code).to.equal(1);
    const config = path.join(dir, 'daqd.ini');
    await writeFile(config, '[http]\nport = 1\n');
    const none = await passwd(['--config', config, 'me'], 'x\n');
    expect(none.code).to.equal(78);
    expect(none.stderr).to.include('no [http] access_file set');
  });

  it('has help, and its options belong to it alone', async () => {
    const help = await runCli(['passwd', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: daqd passwd/);
    const misplaced = await runCli(['check', '--token']);
    expect(misplaced.code).to.equal(64);
    expect(misplaced.stderr).to.include("are for 'passwd' only");
    expect((await runCli(['passwd', '--token', '--delete', 'x'])).code).to.equal(64);
    expect((await runCli(['passwd'])).code).to.equal(64);
  });
});
