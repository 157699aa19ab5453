import { expect } from 'chai';
import { QueryError } from '../../../lib/core/errors.js';
import { csvFormat } from '../../../lib/export/format/csv.js';
import { formatForSuffix, formats } from '../../../lib/export/format/registry.js';
import { xlsxFormat } from '../../../lib/export/format/xlsx.js';
import { describeFormatContract } from './format-contract.js';

describe('export formats registry', () => {
  it('knows every suffix, each under its own name', () => {
    expect([...formats.keys()].sort()).to.deep.equal([
      'csv',
      'html',
      'json',
      'lp',
      'ndjson',
      'tsv',
      'txt',
      'xlsx',
    ]);
    for (const [suffix, format] of formats) {
      expect(format.suffix).to.equal(suffix);
      expect(format.contentType).to.be.a('string').and.not.equal('');
    }
  });

  it('finds a format by suffix, case-insensitive, with or without the dot', () => {
    expect(formatForSuffix('csv')).to.equal(csvFormat);
    expect(formatForSuffix('XLSX')).to.equal(xlsxFormat);
    expect(formatForSuffix('.csv')).to.equal(csvFormat);
  });

  it('answers an unknown suffix with a QueryError listing the known ones', () => {
    expect(() => formatForSuffix('png'))
      .to.throw(QueryError)
      .with.property('message')
      .that.contains("'png'")
      .and.contains('csv, html, json, lp, ndjson, tsv, txt, xlsx');
    expect(() => formatForSuffix('')).to.throw(QueryError);
    expect(() => formatForSuffix('constructor')).to.throw(QueryError);
  });
});

describe('every registered export format', () => {
  for (const format of formats.values()) describeFormatContract(format);
});
