import { expect } from 'chai';
import { parseDuration } from '../../lib/config/duration-key.js';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';

const main = readMainSettings(parseIni('[mqtt]\nhost = broker\n', '/etc/daqd/daqd.ini').ini, {}).settings;

function apps(lines: string[]) {
  return readRealmApps([parseIni(lines.join('\n'), '/apps/a.ini').ini], main);
}

describe('config: the poll_* app keys', () => {
  it('reads poll_url with {host} and poll_hosts, with the defaults', () => {
    const {
      apps: list,
      problems,
      warnings,
    } = apps([
      '[isems]',
      'type = application',
      'realm = isems',
      'topic_template = /isems/{node}/csvlog',
      'csv_fields = isems',
      'poll_url = http://{host}/ISEMS/ffopenmppt.log',
      'poll_hosts = 10.36.158.33, 10.36.158.34',
      'poll_topic = /isems/{nodeId}/csvlog',
    ]);
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
    expect(list[0]?.poll).to.deep.equal({
      targets: [
        { url: 'http://10.36.158.33/ISEMS/ffopenmppt.log', host: '10.36.158.33' },
        { url: 'http://10.36.158.34/ISEMS/ffopenmppt.log', host: '10.36.158.34' },
      ],
      topic: '/isems/{nodeId}/csvlog',
      interval_ms: 900_000,
      timeout_ms: 30_000,
      jitter_ms: 30_000,
      concurrency: 8,
    });
  });

  it('reads poll_urls and durations in seconds or with units', () => {
    const { apps: list, problems } = apps([
      '[r]',
      'type = application',
      'realm = r',
      'application = mqttkit',
      'poll_urls = http://a.example/log.json, https://[::1]:8443/b',
      'poll_topic = r/poll/{host}/node/data.json',
      'poll_interval = 5m',
      'poll_timeout = 20',
      'poll_jitter = 1500ms',
      'poll_concurrency = 2',
    ]);
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect(list[0]?.poll).to.deep.include({
      targets: [
        { url: 'http://a.example/log.json', host: 'a.example' },
        { url: 'https://[::1]:8443/b', host: '::1' },
      ],
      interval_ms: 300_000,
      timeout_ms: 20_000,
      jitter_ms: 1_500,
      concurrency: 2,
    });
  });

  it('leaves poll unset for an app without the keys', () => {
    const { apps: list } = apps(['[r]', 'type = application', 'realm = r']);
    expect(list[0]?.poll).to.equal(undefined);
  });

  it('names every mistake as file:line and skips the app', () => {
    const { apps: list, problems } = apps([
      '[a]',
      'type = application',
      'realm = a',
      'application = mqttkit',
      'poll_urls = ftp://x/log, http://ok/log, http://ok/log',
      'poll_url = http://{host}/log',
      '[b]',
      'type = application',
      'realm = b',
      'application = mqttkit',
      'poll_url = http://{host}/{path}',
      'poll_hosts = h',
      'poll_topic = b/n/g/{host}/data.json',
      '[c]',
      'type = application',
      'realm = c',
      'application = mqttkit',
      'poll_urls = http://ok/log',
      'poll_interval = soon',
      'poll_timeout = 20m',
      'poll_concurrency = 0',
      '[d]',
      'type = application',
      'realm = d',
      'application = mqttkit',
      'poll_urls = http://ok/log',
      '[e]',
      'type = application',
      'realm = e',
      'topic_template = /isems/{node}/csvlog',
      'poll_urls = http://ok/log',
      'poll_topic = /other/{host}/csvlog',
      '[f]',
      'type = application',
      'realm = f',
      'application = mqttkit',
      'poll_topic = f/a/b/c/data.json',
      'poll_hosts = x',
      '[g]',
      'type = application',
      'realm = g',
      'application = mqttkit',
      'poll_urls = ftp://x/log, http://ok/log, not a url, http://ok/log',
      'poll_topic = g/a/b/{host}/data.json',
    ]);
    expect(list).to.deep.equal([]);
    expect(problems.map((p) => p.format())).to.deep.equal([
      '/apps/a.ini:6: a.poll_url: poll_urls and poll_url both say what to poll: keep one',
      "/apps/a.ini:11: b.poll_url: 'http://{host}/{path}': poll_url takes one placeholder, {host}",
      '/apps/a.ini:14: c.poll_topic: missing: a polling app names the topic its readings are stored as',
      "/apps/a.ini:19: c.poll_interval: 'soon' is not a duration (seconds, or a number with ms, s, m, h or d)",
      '/apps/a.ini:20: c.poll_timeout: longer than poll_interval (900 s)',
      '/apps/a.ini:21: c.poll_concurrency: 0 is out of range (1 to 1000)',
      '/apps/a.ini:22: d.poll_topic: missing: a polling app names the topic its readings are stored as',
      "/apps/a.ini:32: e.poll_topic: '/other/{host}/csvlog' does not fit the app's topics: topic '/other/sample/csvlog' does not match topic template '/isems/{node}/csvlog'",
      '/apps/a.ini:37: f.poll_topic: set, but no poll_urls or poll_url says what to poll',
      '/apps/a.ini:38: f.poll_hosts: poll_hosts needs poll_url with {host} in it',
      "/apps/a.ini:43: g.poll_urls: 'ftp://x/log': only http and https URLs are polled",
      "/apps/a.ini:43: g.poll_urls: 'not a url' is not a URL (Invalid URL)",
      "/apps/a.ini:43: g.poll_urls: 'http://ok/log' is listed twice",
    ]);
  });
});

describe('config: durations (parseDuration)', () => {
  const table: [string, number | string][] = [
    ['900', 900_000],
    ['15m', 900_000],
    ['30 s', 30_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['1d', 86_400_000],
    ['15 minutes', "'15 minutes' is not a duration (seconds, or a number with ms, s, m, h or d)"],
    ['-5', "'-5' is not a duration (seconds, or a number with ms, s, m, h or d)"],
  ];
  for (const [text, expected] of table) {
    it(`'${text}' → ${expected}`, () => {
      const parsed = parseDuration(text);
      if (typeof expected === 'number') expect(parsed).to.deep.equal({ ms: expected });
      else expect(parsed).to.deep.equal({ problem: expected });
    });
  }
});
