import { expect } from 'chai';
import { htmlFormat } from '../../../lib/export/format/html.js';
import { renderText, resultOf, SAMPLE_META, sample } from './fixture.js';

describe('htmlFormat', () => {
  it('renders a complete page with the title and a table of the rows', async () => {
    const html = await renderText(htmlFormat, sample());
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(html.trimEnd().endsWith('</html>')).to.equal(true);
    expect(html).to.contain(`<title>${SAMPLE_META.title}</title>`);
    expect(html).to.contain(
      '<thead><tr><th>time</th><th>temperature</th><th>humidity</th><th>note</th><th>ok</th><th>station</th></tr></thead>',
    );
    const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
    expect(body.match(/<tr>/g)).to.have.length(3);
    expect(body).to.contain(
      '<tr><td>2020-03-10T03:29:42.123456789Z</td><td>21.5</td><td>48</td><td>plain</td><td>true</td><td>a</td></tr>',
    );
    expect(body).to.contain('<td>2020-03-10T03:29:43Z</td><td></td><td>49.25</td>');
    expect(body).to.contain('<td>say &quot;hi&quot;\nnext\\line</td>');
  });

  it('escapes every text: values, column names and the title', async () => {
    const result = resultOf(['<b>col</b>'], [[0n, '<script>alert("x")</script> & \'y\'']]);
    const html = await renderText(htmlFormat, result, {
      measurement: 'm',
      tagColumns: [],
      title: '<script>evil()</script>',
    });
    expect(html).not.to.contain('<script>');
    expect(html).not.to.contain('<b>');
    expect(html).to.contain('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;</td>');
    expect(html).to.contain('<th>&lt;b&gt;col&lt;/b&gt;</th>');
    expect(html).to.contain('<title>&lt;script&gt;evil()&lt;/script&gt;</title>');
  });

  it('renders an empty table for no rows', async () => {
    const html = await renderText(htmlFormat, resultOf(['a'], []));
    expect(html).to.match(/<tbody>\s*<\/tbody>/);
    expect(htmlFormat.contentType).to.match(/^text\/html/);
  });
});
