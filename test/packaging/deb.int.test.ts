import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { HEAP_LIMIT_FLAG } from '../../lib/cli/heap-limit.js';
import { freePort, ROOT } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';

/**
 * The Debian package end to end, as root on Debian: `npm run deb` builds it (lintian included), dpkg
 * installs it, the unit's ExecStart runs as the daqd user with the unit's environment (no systemd
 * here), a reading goes in over MQTT and comes back over HTTP; then an upgrade, remove and purge.
 */
/** A dpkg-query -f option that prints one field of the package. */
const dpkgField = (field: string) => `-f=\${${field}}`;

describe('packaging: the Debian package', function () {
  this.timeout(600_000);
  let dir: string;
  let deb: string;
  let daemon: ChildProcess | undefined;

  const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });
  /** dpkg, waiting while another dpkg or apt holds the lock. */
  const dpkg = async (...args: string[]) => {
    for (let attempt = 0; ; attempt++) {
      const r = spawnSync('dpkg', ['--force-confold', ...args], { encoding: 'utf8' });
      if (r.status === 0) return r.stdout;
      if (!/lock/.test(r.stderr) || attempt > 60) throw new Error(`dpkg ${args.join(' ')}: ${r.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  };
  const installed = () =>
    spawnSync('dpkg-query', ['-W', dpkgField('Status'), 'daqd'], { encoding: 'utf8' }).stdout;

  before(async () => {
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/dpkg')) {
      throw new Error('the package test needs root on Debian (it installs the package with dpkg -i)');
    }
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-pkg-'));
    if (installed().includes('installed')) await dpkg('--purge', 'daqd');
    // gzip: fast to pack; the package's content is the same as with the default xz.
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build-deb.mjs'), '--out', dir], {
      encoding: 'utf8',
      env: { ...process.env, DPKG_DEB_COMPRESSOR_TYPE: 'gzip' },
    });
    const output = build.stdout + build.stderr;
    expect(build.status, output.slice(-4000)).to.equal(0);
    expect(output).to.match(/^deb: lintian daqd_[^ ]+\.changes$/m);
    expect(output).to.not.match(/^E: /m);
    const file = (await readdir(dir)).find((f) => /^daqd_.*\.deb$/.test(f));
    expect(file).to.be.a('string');
    deb = path.join(dir, file as string);
  });

  after(async () => {
    daemon?.kill('SIGKILL');
    if (installed().includes('installed') || installed().includes('config-files'))
      await dpkg('--purge', 'daqd');
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The unit's ExecStart as its User, with its Environment= and EnvironmentFile= as systemd reads them. */
  async function startService(): Promise<{ http: number; output: () => string }> {
    const unit = readFileSync('/lib/systemd/system/daqd.service', 'utf8');
    const value = (key: string) =>
      [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] ?? '');
    const env: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
    for (const line of value('Environment')) {
      const [k, ...v] = line.split('=');
      env[k as string] = v.join('=');
    }
    for (const file of value('EnvironmentFile')) {
      const name = file.replace(/^-/, '');
      if (!existsSync(name)) continue;
      for (const line of readFileSync(name, 'utf8').split('\n')) {
        const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
        if (m?.[1] !== undefined) env[m[1]] = m[2];
      }
    }
    expect(env['NODE_OPTIONS']).to.equal(HEAP_LIMIT_FLAG);
    const [cmd, ...args] = (value('ExecStart')[0] ?? '').split(/\s+/);
    const uid = Number(sh('id', ['-u', value('User')[0] ?? '']));
    const gid = Number(sh('id', ['-g', value('Group')[0] ?? '']));
    let output = '';
    daemon = spawn(cmd as string, args, { env, uid, gid, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    daemon.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await eventually(
      `daqd ready (output: ${output.slice(-500)})`,
      async () => (/ready: 1 realm\(s\)/.test(output) ? true : undefined),
      60_000,
    );
    return { http: Number(env['DAQD_HTTP_PORT']), output: () => output };
  }

  async function stopService() {
    const child = daemon;
    daemon = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).to.equal(0);
  }

  const readings = async (http: number) => {
    const res = await fetch(
      `http://127.0.0.1:${http}/api/hiverize/testdrive/area-42/node-1/data.csv?from=now-1d`,
    );
    expect(res.status).to.equal(200);
    return res.text();
  };

  it('installs, runs as the daqd user, upgrades keeping data, removes keeping data, purges', async () => {
    await dpkg('-i', deb);
    // Files.
    for (const file of [
      '/usr/lib/daqd/dist/lib/cli/main.js',
      '/usr/lib/daqd/package.json',
      '/usr/lib/daqd/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      '/etc/daqd/daqd.ini',
      '/etc/daqd/apps-available/hiverize.ini',
      '/etc/default/daqd',
      '/lib/systemd/system/daqd.service',
      '/usr/share/man/man8/daqd.8.gz',
      '/usr/share/doc/daqd/copyright',
      '/usr/share/doc/daqd/README.md',
    ]) {
      expect(existsSync(file), file).to.equal(true);
    }
    expect(readFileSync('/etc/daqd/daqd.ini', 'utf8')).to.match(/^data_dir = \/var\/lib\/daqd$/m);
    expect(lstatSync('/etc/daqd/apps-enabled/hiverize.ini').isSymbolicLink()).to.equal(true);
    const listed = await dpkg('-L', 'daqd');
    expect(listed).to.not.match(/\/(test|bench)\//);
    expect(listed).to.not.match(/\.map$/m);
    expect(sh('/usr/bin/daqd', ['--version']).trim()).to.equal(
      `daqd ${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}`,
    );
    // The conffiles, the user, the data folder, the unit enabled.
    const conffiles = sh('dpkg-query', ['-W', dpkgField('Conffiles'), 'daqd']);
    for (const file of ['/etc/daqd/daqd.ini', '/etc/daqd/apps-available/hiverize.ini', '/etc/default/daqd']) {
      expect(conffiles).to.include(` ${file} `);
    }
    const user = sh('getent', ['passwd', 'daqd']).split(':');
    expect(Number(user[2])).to.be.below(1000);
    expect(user[5]).to.equal('/var/lib/daqd');
    const data = statSync('/var/lib/daqd');
    expect(data.uid).to.equal(Number(user[2]));
    expect(existsSync('/etc/systemd/system/multi-user.target.wants/daqd.service')).to.equal(true);
    const verify = spawnSync('systemd-analyze', ['verify', '/lib/systemd/system/daqd.service'], {
      encoding: 'utf8',
    });
    expect(verify.stderr).to.not.match(/daqd\.service.*(not executable|bad|fail)/i);
    // Bundled modules: every licence but MIT is named in debian/copyright.
    const copyright = readFileSync('/usr/share/doc/daqd/copyright', 'utf8').replace(/\s+/g, ' ');
    for (const pkg of sh('find', [
      '/usr/lib/daqd/node_modules',
      '-name',
      'package.json',
      '-path',
      '*/node_modules/*/package.json',
    ])
      .split('\n')
      .filter((f) => /node_modules\/(@[^/]+\/)?[^/@]+\/package\.json$/.test(f))) {
      const { name, license } = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; license?: unknown };
      if (name === undefined || license === 'MIT') continue;
      expect(copyright, `${name} (${String(license)})`).to.include(name);
    }

    // Run it as the service would, on ports of our own, set where an administrator would.
    const http = await freePort();
    const broker = await freePort();
    await appendFile('/etc/default/daqd', `DAQD_HTTP_PORT=${http}\nDAQD_MQTT_PORT=${broker}\n`);
    await startService();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker}`);
    await client.publishAsync('hiverize/testdrive/area-42/node-1/data.json', '{"temperature": 21.5}', {
      qos: 1,
    });
    await client.endAsync();
    await eventually(
      'the reading back over HTTP',
      async () => ((await readings(http)).includes(',21.5\n') ? true : undefined),
      20_000,
    );
    // The web view ships with it: its page and the chart library, from the package alone.
    for (const asset of ['/', '/assets/node.js', '/assets/uPlot.iife.min.js']) {
      const res = await fetch(`http://127.0.0.1:${http}${asset}`);
      expect(res.status, asset).to.equal(200);
      expect((await res.text()).length, asset).to.be.greaterThan(100);
    }
    await stopService();
    expect((await readdir('/var/lib/daqd')).length).to.be.greaterThan(0);
    expect(sh('find', ['/var/lib/daqd', '!', '-user', 'daqd'])).to.equal('');

    // Upgrade: the same files at a higher version (repacked, so the test builds once).
    const tree = path.join(dir, 'upgrade');
    sh('dpkg-deb', ['-R', deb, tree]);
    const control = path.join(tree, 'DEBIAN', 'control');
    const version = /^Version: (.*)$/m.exec(readFileSync(control, 'utf8'))?.[1] as string;
    await writeFile(
      control,
      readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${version}+1`),
    );
    const upgraded = path.join(dir, 'daqd-upgraded.deb');
    execFileSync('dpkg-deb', ['-Zgzip', '-b', tree, upgraded]);
    await dpkg('-i', upgraded);
    expect(sh('dpkg-query', ['-W', dpkgField('Version'), 'daqd'])).to.equal(`${version}+1`);
    expect(readFileSync('/etc/default/daqd', 'utf8')).to.include(`DAQD_HTTP_PORT=${http}`);
    await startService();
    expect(await readings(http)).to.match(/,21\.5\n/);
    await stopService();

    // Kotori's apps, migrated by the installed command.
    const kotori = path.join(dir, 'kotori');
    await mkdir(path.join(kotori, 'apps-available'), { recursive: true });
    await mkdir(path.join(kotori, 'apps-enabled'));
    await writeFile(
      path.join(kotori, 'apps-available', 'weather.ini'),
      '[weather]\ntype = application\nrealm = weather\napplication = mqttkit\n',
    );
    execFileSync('ln', [
      '-s',
      '../apps-available/weather.ini',
      path.join(kotori, 'apps-enabled', 'weather.ini'),
    ]);
    const migrated = sh('/usr/bin/daqd', ['migrate-kotori', '--from', kotori]);
    expect(migrated).to.include('copied 1 app file(s), enabled 1; skipped 0, failed 0');
    expect(lstatSync('/etc/daqd/apps-enabled/weather.ini').isSymbolicLink()).to.equal(true);

    // Remove: program gone, data and configuration kept.
    await dpkg('--remove', 'daqd');
    expect(existsSync('/usr/bin/daqd')).to.equal(false);
    expect(existsSync('/usr/lib/daqd')).to.equal(false);
    expect((await readdir('/var/lib/daqd')).length).to.be.greaterThan(0);
    expect(existsSync('/etc/daqd/daqd.ini')).to.equal(true);
    // Purge: data and configuration gone.
    await dpkg('--purge', 'daqd');
    expect(existsSync('/var/lib/daqd')).to.equal(false);
    expect(existsSync('/etc/daqd/daqd.ini')).to.equal(false);
    expect(existsSync('/etc/daqd/apps-enabled')).to.equal(false);
    // A file of one's own (here the migrated app) stays; the rest of /etc/daqd is gone.
    expect((await readdir('/etc/daqd', { recursive: true })).sort()).to.deep.equal([
      'apps-available',
      'apps-available/weather.ini',
    ]);
    await rm('/etc/daqd', { recursive: true });
    expect(existsSync('/etc/default/daqd')).to.equal(false);
    expect(existsSync('/etc/systemd/system/multi-user.target.wants/daqd.service')).to.equal(false);
  });
});
