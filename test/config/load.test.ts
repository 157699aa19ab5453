import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { loadMainSettings, loadRealmApps, locateIncludes } from '../../lib/config/load.js';

describe('config/load: include globs', () => {
  let dir: string;
  let etc: string;
  beforeEach(async () => {
    // <dir>/etc/kotori.ini, apps beside it in <dir>/etc/apps and in the "repository root" <dir>/examples.
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-load-'));
    etc = path.join(dir, 'etc');
    await mkdir(path.join(etc, 'apps'), { recursive: true });
    await mkdir(path.join(dir, 'examples'));
    await writeFile(
      path.join(etc, 'apps', 'a.ini'),
      '[a]\ntype = application\nrealm = a\napplication = basic\n',
    );
    await writeFile(
      path.join(dir, 'examples', 'b.ini'),
      '[b]\ntype = application\nrealm = b\napplication = basic\n',
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resolves a relative glob beside the main file first, then in the working directory, and says which', async () => {
    const { include, notes, warnings } = await locateIncludes(['apps/*.ini', 'examples/*.ini'], etc, dir);
    expect(include).to.deep.equal([path.join(etc, 'apps/*.ini'), path.join(dir, 'examples/*.ini')]);
    expect(notes).to.deep.equal([
      `include 'apps/*.ini': matched beside the main file (${path.join(etc, 'apps/*.ini')})`,
      `include 'examples/*.ini': matched in the working directory (${path.join(dir, 'examples/*.ini')}), as Kotori reads it`,
    ]);
    expect(warnings).to.deep.equal([]);
  });

  it('prefers the main file folder when both match', async () => {
    await mkdir(path.join(dir, 'apps'));
    await writeFile(path.join(dir, 'apps', 'c.ini'), '');
    const { include } = await locateIncludes(['apps/*.ini'], etc, dir);
    expect(include).to.deep.equal([path.join(etc, 'apps/*.ini')]);
  });

  it('stays beside the main file when the folder is there, even empty (apps linked later are found)', async () => {
    await mkdir(path.join(dir, 'apps'));
    await writeFile(path.join(dir, 'apps', 'c.ini'), '');
    await mkdir(path.join(etc, 'empty'));
    await mkdir(path.join(dir, 'empty'));
    await writeFile(path.join(dir, 'empty', 'd.ini'), '');
    const { include, warnings } = await locateIncludes(['empty/*.ini'], etc, dir);
    expect(include).to.deep.equal([path.join(etc, 'empty/*.ini')]);
    expect(warnings).to.deep.equal([
      `include 'empty/*.ini' matches no file (${path.join(etc, 'empty/*.ini')})`,
    ]);
  });

  it('warns of a glob that matches nothing, naming it, and keeps it beside the main file', async () => {
    const absolute = path.join(dir, 'conf.d/*.ini');
    const { include, warnings } = await locateIncludes(['conf.d/*.ini', absolute, 'gone.ini'], etc, dir);
    expect(include).to.deep.equal([path.join(etc, 'conf.d/*.ini'), absolute, path.join(etc, 'gone.ini')]);
    expect(warnings).to.deep.equal([
      `include 'conf.d/*.ini' matches no file, neither beside the main file (${path.join(etc, 'conf.d/*.ini')}) nor in the working directory (${absolute})`,
      `include '${absolute}' matches no file`,
      `include 'gone.ini' matches no file (${path.join(etc, 'gone.ini')})`,
    ]);
  });

  it("keeps daqd's default include beside the main file: no working-directory fallback for it", async () => {
    await mkdir(path.join(dir, 'apps-enabled'));
    await writeFile(
      path.join(dir, 'apps-enabled', 'e.ini'),
      '[e]\ntype = application\nrealm = e\napplication = basic\n',
    );
    const main = path.join(etc, 'daqd.ini');
    await writeFile(main, '[http]\nport = 8080\n');
    const { settings, warnings } = await loadMainSettings(main, {}, dir);
    expect(settings.include).to.deep.equal([path.join(etc, 'apps-enabled/*.ini')]);
    expect(warnings).to.deep.equal([
      `include 'apps-enabled/*.ini' matches no file (${path.join(etc, 'apps-enabled/*.ini')})`,
    ]);
    // Written in the file, the same glob follows Kotori's rule.
    await writeFile(main, '[main]\ninclude = apps-enabled/*.ini\n');
    const written = await loadMainSettings(main, {}, dir);
    expect(written.settings.include).to.deep.equal([path.join(dir, 'apps-enabled/*.ini')]);
  });

  it('loads the realms of both places, and warns when no realm is left', async () => {
    const main = path.join(etc, 'kotori.ini');
    await writeFile(main, '[main]\ninclude = apps/*.ini, examples/*.ini\n');
    const found = await loadMainSettings(main, {}, dir);
    const apps = await loadRealmApps(found.settings);
    expect(apps.apps.map((a) => a.realm)).to.deep.equal(['a', 'b']);
    expect(apps.warnings).to.deep.equal([]);

    await writeFile(main, '[main]\ninclude = nothing/*.ini\n');
    const none = await loadMainSettings(main, {}, dir);
    const empty = await loadRealmApps(none.settings);
    expect(none.warnings).to.have.length(1);
    expect(empty.warnings).to.deep.equal([
      `no realm configured: no enabled app in '${path.join(etc, 'nothing/*.ini')}'; daqd acquires nothing`,
    ]);
  });
});
