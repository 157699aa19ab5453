import { expect } from 'chai';
import { AccessRules } from '../../../lib/http/auth/access-rules.js';
import { hashSecret } from '../../../lib/http/auth/secret-hash.js';

describe('AccessRules', () => {
  let hash = '';
  before(async () => {
    hash = await hashSecret('s3cret');
  });

  it('grants per realm, anonymous where named, admin everywhere from [realm:*]', () => {
    const text = [
      '# an access file',
      '[users]',
      `Alice = ${hash}`,
      `node-17 = ${hash}`,
      `ops = ${hash}`,
      '[realm:hiveeyes]',
      'read = anonymous',
      'write = node-17, alice',
      '[realm:private]',
      'read = alice',
      '[realm:*]',
      'admin = ops',
    ].join('\n');
    const { rules, problems } = AccessRules.parse(text, 'access.ini');
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    const r = rules!;
    const table: Array<[string | undefined, string, 'read' | 'write' | 'admin', boolean]> = [
      [undefined, 'hiveeyes', 'read', true],
      [undefined, 'hiveeyes', 'write', false],
      ['node-17', 'hiveeyes', 'write', true],
      ['node-17', 'hiveeyes', 'admin', false],
      ['node-17', 'private', 'read', false],
      ['alice', 'private', 'read', true],
      ['alice', 'private', 'write', false],
      ['alice', '*', 'admin', false],
      ['ops', 'private', 'write', true],
      ['ops', 'other', 'read', true],
      ['ops', '*', 'admin', true],
      [undefined, 'other', 'read', false],
    ];
    for (const [user, realm, scope, expected] of table) {
      expect(r.allows(user, realm, scope), `${user} ${scope} ${realm}`).to.equal(expected);
    }
    expect(r.users.has('alice'), 'user names are matched in lower case').to.equal(true);
  });

  it('names every bad line with file:line', () => {
    const text = [
      '[users]',
      'bob = plain-password',
      `anonymous = ${hash}`,
      '[realm:x]',
      'write = carol',
      'delete = bob',
      'admin = anonymous',
      '[groups]',
    ].join('\n');
    const { rules, problems } = AccessRules.parse(text, 'a.ini');
    expect(rules).to.equal(undefined);
    const lines = problems.map((p) => p.format());
    expect(lines).to.include.members([
      "a.ini:2: users.bob: user 'bob': not a hash written by 'daqd passwd' ($scrypt$ln=…,r=…,p=…$salt$key)",
      "a.ini:3: users: 'anonymous' is reserved for access without credentials",
      "a.ini:5: realm:x.write: 'carol' is not in [users]",
      'a.ini:6: realm:x.delete: unknown key (expected read, write or admin)',
      'a.ini:7: realm:x.admin: admin cannot be granted to anonymous',
      'a.ini:8: groups: unknown section (expected [users], [realm:<realm>] or [realm:*])',
    ]);
    expect(lines.join('\n')).not.to.include('plain-password');
  });
});
