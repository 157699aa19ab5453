import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/daqd.js';

describe('cli: daqd check', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-check-'));
    await mkdir(path.join(dir, 'apps-enabled'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints all three mistakes as file:line: section.key: problem and exits 78', async () => {
    const main = path.join(dir, 'daqd.ini');
    const app = path.join(dir, 'apps-enabled', 'r.ini');
    await writeFile(main, '[http]\nport = http\n\n[mqtt]\nembeded = true\n');
    await writeFile(app, '[r]\ntype = application\nrealm = r\napplication = kotori.unknown:boot\n');
    const { code, stderr } = await runCli(['check', '--config', main]);
    expect(code).to.equal(78);
    const lines = stderr.trim().split('\n');
    expect(lines).to.deep.equal([
      `${main}:2: http.port: 'http' is not a whole number`,
      `${main}:5: mqtt.embeded: unknown key (did you mean 'embedded'?)`,
      `${app}:4: r.application: unknown entry point 'kotori.unknown:boot' (known: mqttkit, basic, kotori.daq.application.mqttkit:mqttkit_application, kotori.daq.application.basic:application, kotori.daq.application.basic:basic_application, kotori.daq.application.composite:boot)`,
      `${main}: 3 problems found`,
    ]);
  });

  it('compiles forwarders: an unclosed { or an unknown placeholder is file:line: section.key, exit 78', async () => {
    const main = path.join(dir, 'daqd.ini');
    const app = path.join(dir, 'apps-enabled', 'r.ini');
    await writeFile(main, '[http]\nport = 8080\n');
    const forwarder = (realm: string, source: string, target: string) =>
      `[${realm}]\ntype = application\nrealm = ${realm}\napplication = mqttkit\n` +
      `[${realm}.http]\ntype = application\napplication = kotori.io.protocol.forwarder:boot\nrealm = ${realm}\n` +
      `source = ${source}\ntarget = ${target}\n`;
    await writeFile(
      app,
      forwarder('a', 'http:/api/a/{address:.*/{slot:(data|event)} [POST]', 'mqtt:/a/{address}.json') +
        forwarder('b', 'http:/api/b/{address:.*} [POST]', 'mqtt:/b/{node}/data.json') +
        forwarder(
          'c',
          'http:/api/c/{address:.*}/{slot:(data|event)} [POST]',
          'mqtt:/c/{address}/{slot}.json',
        ),
    );
    const { code, stderr } = await runCli(['check', '--config', main]);
    expect(stderr.trim().split('\n')).to.deep.equal([
      `${app}:9: a.http.source: '/api/a/{address:.*/{slot:(data|event)}': unclosed '{' at position 8`,
      `${app}:20: b.http.target: '{node}' is not a placeholder of the source '/api/b/{address:.*}'`,
      `${main}: 2 problems found`,
    ]);
    expect(code).to.equal(78);
  });

  it('exits 0 and names the realms for a good configuration', async () => {
    const main = path.join(dir, 'daqd.ini');
    await writeFile(main, '[http]\nport = 8080\n');
    await writeFile(
      path.join(dir, 'apps-enabled', 'a.ini'),
      '[a]\ntype = application\nrealm = a\napplication = basic\n',
    );
    const { code, stdout, stderr } = await runCli(['check', '--config', main]);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout).to.contain('configuration OK; realms: a');
  });

  it("takes the file from $DAQD_CONFIG and from Kotori's $KOTORI_CONFIG", async () => {
    const main = path.join(dir, 'daqd.ini');
    await writeFile(main, '[http]\nport = nope\n');
    for (const name of ['DAQD_CONFIG', 'KOTORI_CONFIG']) {
      const { code, stderr } = await runCli(['check'], { env: { [name]: main } });
      expect(code, name).to.equal(78);
      expect(stderr, name).to.contain(`${main}:2: http.port:`);
    }
  });

  it('says a missing main file is missing', async () => {
    const { code, stderr } = await runCli(['check', '--config', path.join(dir, 'nope.ini')]);
    expect(code).to.equal(78);
    expect(stderr).to.contain('nope.ini: cannot read: no such file');
  });

  it('names a damaged file of the embedded store and exits 65; a valid configuration is still said to be OK', async () => {
    const main = path.join(dir, 'daqd.ini');
    await writeFile(main, '[daqd]\ndata_dir = var\n[storage]\nbackend = sqlite\n');
    await mkdir(path.join(dir, 'var', 'sqlite'), { recursive: true });
    const bad = path.join(dir, 'var', 'sqlite', 'r_net.sqlite');
    await writeFile(bad, 'not a database at all, but long enough to have a header. '.repeat(10));
    const { code, stdout, stderr } = await runCli(['check', '--config', main]);
    expect(stdout).not.to.contain('configuration OK');
    expect(stderr.trim().split('\n')).to.deep.equal([
      `${bad}: corrupt: file is not a database`,
      `${main}: configuration OK, but 1 damaged database file in the store: repair or replace (move aside) each; daqd keeps their readings until then`,
    ]);
    expect(code).to.equal(65);
    await rm(bad);
    expect((await runCli(['check', '--config', main])).code).to.equal(0);
  });
});

describe('cli: usage', () => {
  it('prints the version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^daqd \d+\.\d+\.\d+/);
  });

  it('has help for every command', async () => {
    for (const args of [['--help'], ['run', '--help'], ['check', '--help'], ['apps', '--help']]) {
      const { code, stdout } = await runCli(args);
      expect(code, args.join(' ')).to.equal(0);
      expect(stdout, args.join(' ')).to.match(/^Usage: daqd/);
    }
  });

  it('answers an unknown flag or command with a usage error, exit 64', async () => {
    for (const args of [['--bogus'], ['frobnicate'], ['check', 'extra']]) {
      const { code, stderr } = await runCli(args);
      expect(code, args.join(' ')).to.equal(64);
      expect(stderr, args.join(' ')).to.match(/^daqd/);
    }
  });
});
