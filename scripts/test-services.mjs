// Makes sure the real services the integration tests start are installed: influxd and mosquitto
// (Debian's `influxdb` and `mosquitto` packages), and chromium for the web view's browser tests. As root it installs what is missing; otherwise it
// says in one line what to install and fails, so `npm test` never silently skips those tests.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const needed = [
  { binary: 'influxd', pkg: 'influxdb', dirs: ['/usr/bin', '/usr/sbin', '/usr/local/bin'] },
  { binary: 'mosquitto', pkg: 'mosquitto', dirs: ['/usr/sbin', '/usr/bin', '/usr/local/sbin'] },
  { binary: 'chromium', pkg: 'chromium', dirs: ['/usr/bin'] },
];

function found(binary, dirs) {
  const path = (process.env.PATH ?? '').split(':').concat(dirs);
  return path.some((dir) => {
    try {
      accessSync(`${dir}/${binary}`, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const missing = needed.filter((n) => !found(n.binary, n.dirs));
if (missing.length > 0) {
  const packages = missing.map((m) => m.pkg);
  if (process.getuid?.() === 0) {
    process.stdout.write(`test services: installing ${packages.join(' ')} with apt-get\n`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
  } else {
    process.stderr.write(
      `npm test needs ${missing.map((m) => m.binary).join(' and ')}: run 'sudo apt-get install ${packages.join(' ')}'\n`,
    );
    process.exit(1);
  }
}
