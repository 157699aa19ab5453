import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DaemonProcess, freePort, runCli } from '../support/daqd.js';

describe('daqd run: the built-in broker refuses anonymous access beyond loopback', function () {
  this.timeout(60_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-exposure-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function config(mqtt: string): Promise<string> {
    const file = path.join(dir, 'daqd.ini');
    await writeFile(
      file,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
        `[http]\nport = ${await freePort()}\n[mqtt]\nembedded = true\nport = ${await freePort()}\n${mqtt}` +
        '[storage]\nbackend = sqlite\n',
    );
    return file;
  }

  it('exits 78 with one line naming password_file and allow_anonymous when it would listen on 0.0.0.0', async () => {
    const file = await config('host = 0.0.0.0\n');
    daemon = new DaemonProcess(file);
    expect(await daemon.exit()).to.equal(78);
    const lines = daemon.output.split('\n').filter((line) => /built-in broker would listen/.test(line));
    expect(lines, daemon.output).to.have.length(1);
    expect(lines[0]).to.match(/daqd\.ini:\d+: mqtt\.host: .*password_file.*allow_anonymous = true/);

    // The same from the environment, and `daqd check` says the same.
    const viaEnv = await runCli(['check', '--config', await config('')], {
      env: { DAQD_MQTT_HOST: '0.0.0.0' },
    });
    expect(viaEnv.code).to.equal(78);
    expect(viaEnv.stdout + viaEnv.stderr).to.match(/mqtt\.host: .*password_file.*\(from \$DAQD_MQTT_HOST\)/);
  });

  it('starts on 0.0.0.0 with a password_file, or with allow_anonymous = true deliberately', async () => {
    await writeFile(path.join(dir, 'passwd'), 'node:secret\n');
    for (const mqtt of [
      'host = 0.0.0.0\npassword_file = passwd\n',
      'host = 0.0.0.0\nallow_anonymous = true\n',
    ]) {
      daemon = new DaemonProcess(await config(mqtt));
      await daemon.waitFor(/embedded broker listening on 0\.0\.0\.0:/, 30_000);
      expect(await daemon.stop()).to.equal(0);
      daemon = undefined;
    }
  });

  it('checks the shipped etc/daqd.ini clean (loopback, no password_file needed)', async () => {
    const result = await runCli(['check', '--config', 'etc/daqd.ini']);
    expect(result.code, result.stdout + result.stderr).to.equal(0);
  });
});
