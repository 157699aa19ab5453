import { expect } from 'chai';
import { parseIni, splitList } from '../../lib/config/ini-file.js';

describe('config/ini-file', () => {
  it('reads sections, both delimiters, lower-cased keys and line numbers', () => {
    const { ini, problems } = parseIni('[a]\nKey = 1\nother: two words\n\n[b]\nx=\n', 'f.ini');
    expect(problems).to.deep.equal([]);
    expect(ini.sections.map((s) => [s.name, s.line])).to.deep.equal([
      ['a', 1],
      ['b', 5],
    ]);
    const a = ini.sections[0]!;
    expect(a.entries.get('key')).to.deep.equal({ value: '1', line: 2 });
    expect(a.entries.get('other')).to.deep.equal({ value: 'two words', line: 3 });
    expect(ini.sections[1]!.entries.get('x')?.value).to.equal('');
  });

  it('joins indented continuation lines, as configparser does', () => {
    const text = '[main]\ninclude =\n    a.ini,\n    b.ini\nnext = 1\n';
    const { ini } = parseIni(text, 'f.ini');
    expect(ini.sections[0]!.entries.get('include')?.value).to.equal('a.ini,\nb.ini');
    expect(splitList(ini.sections[0]!.entries.get('include')!.value)).to.deep.equal(['a.ini', 'b.ini']);
    expect(ini.sections[0]!.entries.get('next')?.value).to.equal('1');
  });

  it('keeps # inside values (MQTT wildcards) and skips whole-line comments', () => {
    const { ini, problems } = parseIni('; c1\n# c2\n[r]\n  ; indented comment\nmqtt_topics = r/#\n', 'f');
    expect(problems).to.deep.equal([]);
    expect(ini.sections[0]!.entries.get('mqtt_topics')?.value).to.equal('r/#');
  });

  it('reports every bad line with its line number and goes on', () => {
    const { ini, problems } = parseIni(
      'orphan = 1\n[ok]\nno delimiter here\n[broken\n[ok]\nk = 1\nk = 2\n',
      'x.ini',
    );
    expect(problems.map((p) => p.format())).to.deep.equal([
      "x.ini:1: 'orphan' stands before any [section]",
      "x.ini:3: expected 'key = value', got 'no delimiter here'",
      "x.ini:4: malformed section header '[broken'",
      'x.ini:5: section [ok] appears twice (first on line 2)',
      'x.ini:7: ok.k: key appears twice in [ok] (first on line 6)',
    ]);
    expect(ini.sections.length).to.equal(2);
  });
});
