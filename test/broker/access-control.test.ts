import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from 'aedes';
import { expect } from 'chai';
import { BrokerAccess } from '../../lib/broker/access-control.js';
import { ConfigError } from '../../lib/core/errors.js';
import { type Log, silentLog } from '../../lib/core/log.js';

/** A log that keeps its lines as `level: message`. */
function recordingLog(lines: string[]): Log {
  const log: Log = {
    ...silentLog(),
    error: (m) => lines.push(`error: ${m}`),
    notice: (m) => lines.push(`notice: ${m}`),
    child: () => log,
  };
  return log;
}

/** aedes hands its client objects to the access checks; only their identity counts there. */
const client = (id: string) => ({ id }) as unknown as Client;

describe('broker/access-control: BrokerAccess', () => {
  let dir: string;
  let passwordFile: string;
  let aclFile: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-access-'));
    passwordFile = path.join(dir, 'passwords');
    aclFile = path.join(dir, 'acl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('without files: anyone is admitted and may publish anywhere but $SYS', async () => {
    const access = new BrokerAccess({ settings: {}, log: silentLog() });
    await access.load();
    expect(access.describe()).to.equal('anonymous access');
    const anyone = client('a');
    expect(access.admit(anyone, undefined, undefined)).to.equal(true);
    expect(access.publishRefusal(anyone, 'r/x/data.json')).to.equal(undefined);
    expect(access.publishRefusal(anyone, '$SYS/broker/uptime')).to.equal('$SYS topics are reserved');
    expect(access.subscribeRefusal(anyone, '#')).to.equal(undefined);
  });

  it('checks passwords at CONNECT and realm grants per client', async () => {
    await writeFile(passwordFile, 'alice:secret\nbob:pass:word\n');
    await writeFile(aclFile, 'alice = hiveeyes\nbob = *\n');
    const access = new BrokerAccess({
      settings: { password_file: passwordFile, acl_file: aclFile },
      log: silentLog(),
    });
    await access.load();
    expect(access.describe()).to.equal('2 users, realm ACL');
    expect(access.trustsUserNames).to.equal(false);

    const alice = client('alice-1');
    const bob = client('bob-1');
    expect(access.admit(client('x'), 'alice', Buffer.from('wrong'))).to.equal(false);
    expect(access.admit(client('y'), 'carol', Buffer.from('secret'))).to.equal(false);
    expect(access.admit(client('z'), undefined, undefined)).to.equal(false);
    expect(access.admit(alice, 'alice', Buffer.from('secret'))).to.equal(true);
    expect(access.admit(bob, 'bob', Buffer.from('pass:word'))).to.equal(true);

    expect(access.publishRefusal(alice, 'hiveeyes/a/b/c/data.json')).to.equal(undefined);
    expect(access.publishRefusal(alice, 'other/a/data.json')).to.equal("realm not granted to user 'alice'");
    expect(access.publishRefusal(null, 'hiveeyes/x')).to.equal('no client to check the realm grant against');
    expect(access.subscribeRefusal(alice, 'hiveeyes/#')).to.equal(undefined);
    expect(access.subscribeRefusal(alice, '#')).to.equal("realm not granted to user 'alice'");
    expect(access.subscribeRefusal(bob, '+/x')).to.equal(undefined);
    // A client that was never admitted has no user: no grant.
    expect(access.publishRefusal(client('stranger'), 'hiveeyes/x')).to.equal("realm not granted to user ''");
  });

  it('says when an ACL has no password file to vouch for the user names', async () => {
    await writeFile(aclFile, 'alice = hiveeyes\n');
    const access = new BrokerAccess({ settings: { acl_file: aclFile }, log: silentLog() });
    await access.load();
    expect(access.trustsUserNames).to.equal(true);
    expect(access.describe()).to.equal('anonymous access, realm ACL');
  });

  it('refuses a bad file at load with file:line, and a missing one', async () => {
    await writeFile(passwordFile, 'alice:secret\nno colon here\n');
    const bad = new BrokerAccess({ settings: { password_file: passwordFile }, log: silentLog() });
    const err = await bad.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).format()).to.equal(
      `${passwordFile}:2: mqtt.password_file: expected 'user:password'`,
    );
    const missing = new BrokerAccess({ settings: { acl_file: path.join(dir, 'nope') }, log: silentLog() });
    await missing.load().then(
      () => expect.fail('a missing ACL file was taken'),
      (e: unknown) => expect((e as Error).message).to.match(/^cannot read: /),
    );
  });

  it('reload: new rules count at once; a bad file keeps both files as they were, said in one line', async () => {
    await writeFile(passwordFile, 'alice:secret\n');
    await writeFile(aclFile, 'alice = hiveeyes\n');
    const lines: string[] = [];
    const access = new BrokerAccess({
      settings: { password_file: passwordFile, acl_file: aclFile },
      log: recordingLog(lines),
    });
    await access.load();
    const alice = client('alice-1');
    expect(access.admit(alice, 'alice', Buffer.from('secret'))).to.equal(true);

    await writeFile(passwordFile, 'alice:changed\n');
    await writeFile(aclFile, 'alice = hiveeyes, other\n');
    await access.reload();
    expect(lines).to.deep.equal(['notice: embedded broker: access files read again (1 users, realm ACL)']);
    expect(access.publishRefusal(alice, 'other/x')).to.equal(undefined);
    expect(access.admit(client('alice-2'), 'alice', Buffer.from('secret'))).to.equal(false);

    await writeFile(passwordFile, 'alice:third\n');
    await writeFile(aclFile, 'alice\n');
    await access.reload();
    expect(lines[1]).to.equal(
      `error: embedded broker: ${aclFile}:1: mqtt.acl_file: expected 'user = realm1, realm2'; the access rules in use stay`,
    );
    expect(access.admit(client('alice-3'), 'alice', Buffer.from('third'))).to.equal(false);
    expect(access.admit(client('alice-4'), 'alice', Buffer.from('changed'))).to.equal(true);
    expect(access.publishRefusal(alice, 'other/x')).to.equal(undefined);
  });
});
