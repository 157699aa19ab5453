import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { httpFileProblems, isLoopback } from '../../lib/config/http-access-keys.js';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const { ini } = parseIni(text, '/etc/daqd/daqd.ini');
  return readMainSettings(ini, env).problems.map((p) => p.format());
}

describe('[http] access keys', () => {
  it('tells loopback addresses from the others', () => {
    for (const a of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '[::1]',
      'localhost',
      'LOCALHOST',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopback(a), a).to.equal(true);
    }
    for (const a of ['0.0.0.0', '::', '192.168.1.10', 'daqd.example.org', '128.0.0.1']) {
      expect(isLoopback(a), a).to.equal(false);
    }
  });

  it('refuses a public address without access rules, in one line saying what to set', () => {
    expect(problems('[http]\nlisten = 0.0.0.0\n')).to.deep.equal([
      "/etc/daqd/daqd.ini:2: http.listen: '0.0.0.0' is reachable from other machines and anyone could write and read every realm: set [http] access_file (users from 'daqd passwd'), or deliberately [http] allow_anonymous = true",
    ]);
    expect(problems('[http]\nport = 1\n', { DAQD_HTTP_LISTEN: '::' })).to.have.length(1);
    expect(problems('[http]\nlisten = 0.0.0.0\nallow_anonymous = true\n')).to.deep.equal([]);
    expect(problems('[http]\nlisten = 0.0.0.0\naccess_file = access.ini\n')).to.deep.equal([]);
    expect(problems('[http]\nlisten = 127.0.0.1\n')).to.deep.equal([]);
    expect(problems('[http]\naccess_file = a.ini\nallow_anonymous = true\n')).to.deep.equal([
      "/etc/daqd/daqd.ini:3: http.allow_anonymous: has no effect with access_file, which alone decides: grant 'anonymous' there (read = anonymous)",
    ]);
  });

  it('wants both cert_file and key_file, and resolves them beside the main file', () => {
    expect(problems('[http]\ncert_file = cert.pem\n')).to.deep.equal([
      '/etc/daqd/daqd.ini:1: http.key_file: HTTPS needs both cert_file and key_file; key_file is missing',
    ]);
    const { ini } = parseIni('[http]\ncert_file = tls/cert.pem\nkey_file = /k.pem\n', '/etc/daqd/daqd.ini');
    expect(readMainSettings(ini, {}).settings.http).to.include({
      cert_file: '/etc/daqd/tls/cert.pem',
      key_file: '/k.pem',
      allow_anonymous: false,
    });
  });

  it('finds the problems of the files [http] names (for daqd check and the start)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'daqd-http-files-'));
    try {
      const access = path.join(dir, 'access.ini');
      await writeFile(access, '[users]\nbob = secret\n');
      const problems = await httpFileProblems(
        {
          access_file: access,
          allow_anonymous: false,
          cert_file: path.join(dir, 'missing.pem'),
          key_file: access,
        },
        '/etc/daqd/daqd.ini',
      );
      const lines = problems.map((p) => p.format());
      expect(lines).to.have.length(2);
      expect(lines[0]).to.equal(
        `${access}:2: users.bob: user 'bob': not a hash written by 'daqd passwd' ($scrypt$ln=…,r=…,p=…$salt$key)`,
      );
      expect(lines[1]).to.match(/^\/etc\/daqd\/daqd\.ini: http\.cert_file: cannot read '.*missing\.pem': /);
      expect(lines.join('\n')).not.to.include('secret');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
