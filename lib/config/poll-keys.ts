import { errorMessage } from '../core/errors.js';
import { parseDuration } from './duration-key.js';
import { splitList } from './ini-file.js';
import type { SectionReader } from './section-reader.js';
import type { PollSettings, PollTarget } from './settings.js';

/** `poll_interval` default: a quarter hour, as the ISEMS data collector polls. */
export const DEFAULT_POLL_INTERVAL_MS = 15 * 60_000;
/** `poll_timeout` default. */
export const DEFAULT_POLL_TIMEOUT_MS = 30_000;
/** `poll_jitter` default (never more than the interval). */
export const DEFAULT_POLL_JITTER_MS = 30_000;
/** `poll_concurrency` default. */
export const DEFAULT_POLL_CONCURRENCY = 8;

/** `{name}` in `poll_url` and `poll_topic`. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/**
 * Reads an app's `poll_*` keys (`acquire/source/poll.ts`), recording problems as `file:line` messages:
 *
 * - `poll_urls = http://a/log, http://b/log`, or `poll_url = http://{host}/ISEMS/ffopenmppt.log` with
 *   `poll_hosts = 10.0.0.1, 10.0.0.2` (one URL per host); http or https only;
 * - `poll_topic`: the topic a polled reading is stored as (required when polling);
 * - `poll_interval` (default 15 min), `poll_timeout` (30 s), `poll_jitter` (30 s): seconds or `15m`;
 * - `poll_concurrency` (8).
 *
 * `topicProblem` checks `poll_topic` against the app's topic layout (a sample topic decoded).
 * Undefined when the app polls nothing (or its keys are wrong).
 */
export function readPoll(
  reader: SectionReader,
  topicProblem: (sample: string) => string | undefined,
): PollSettings | undefined {
  const targets = readTargets(reader);
  const others = ['poll_topic', 'poll_interval', 'poll_timeout', 'poll_jitter', 'poll_concurrency'];
  if (targets === undefined) {
    // Wrong URLs are named already; without any, the other keys have nothing to apply to.
    if (reader.has('poll_urls') || reader.has('poll_url')) return undefined;
    for (const key of others) {
      if (reader.has(key)) reader.problem(key, 'set, but no poll_urls or poll_url says what to poll');
    }
    return undefined;
  }
  const interval = duration(reader, 'poll_interval', DEFAULT_POLL_INTERVAL_MS, 1_000);
  const timeout = duration(reader, 'poll_timeout', DEFAULT_POLL_TIMEOUT_MS, 100);
  const jitter = duration(reader, 'poll_jitter', Math.min(DEFAULT_POLL_JITTER_MS, interval / 2), 0);
  if (timeout > interval) reader.problem('poll_timeout', `longer than poll_interval (${interval / 1000} s)`);
  if (jitter >= interval)
    reader.problem('poll_jitter', `must be shorter than poll_interval (${interval / 1000} s)`);
  const concurrency = reader.integer('poll_concurrency', DEFAULT_POLL_CONCURRENCY, { min: 1, max: 1000 });
  const topic = reader.string('poll_topic');
  if (topic === undefined) {
    reader.problem('poll_topic', 'missing: a polling app names the topic its readings are stored as');
    return undefined;
  }
  // Every `{name}` stands for a value; a sample stands in to check the topic fits the app's layout.
  const problem = topicProblem(topic.replace(PLACEHOLDER, 'sample'));
  if (problem !== undefined) {
    reader.problem('poll_topic', `'${topic}' does not fit the app's topics: ${problem}`);
    return undefined;
  }
  return { targets, topic, interval_ms: interval, timeout_ms: timeout, jitter_ms: jitter, concurrency };
}

function readTargets(reader: SectionReader): PollTarget[] | undefined {
  const urls = reader.string('poll_urls');
  const template = reader.string('poll_url');
  const hosts = reader.string('poll_hosts');
  if (urls !== undefined && template !== undefined) {
    reader.problem('poll_url', 'poll_urls and poll_url both say what to poll: keep one');
    return undefined;
  }
  if (hosts !== undefined && template === undefined) {
    reader.problem('poll_hosts', 'poll_hosts needs poll_url with {host} in it');
    return undefined;
  }
  let targets: PollTarget[] | undefined;
  if (urls !== undefined) {
    targets = [];
    for (const url of splitList(urls)) {
      const parsed = checkUrl(reader, 'poll_urls', url);
      if (parsed !== undefined) targets.push({ url, host: parsed.hostname.replace(/^\[|\]$/g, '') });
    }
  } else if (template !== undefined) {
    const names = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
    if (names.some((name) => name !== 'host') || !names.includes('host')) {
      reader.problem('poll_url', `'${template}': poll_url takes one placeholder, {host}`);
      return undefined;
    }
    if (hosts === undefined || splitList(hosts).length === 0) {
      reader.problem('poll_url', 'has {host}: poll_hosts lists the hosts');
      return undefined;
    }
    targets = [];
    for (const host of splitList(hosts)) {
      const url = template.replaceAll('{host}', host);
      if (checkUrl(reader, 'poll_hosts', url) !== undefined) targets.push({ url, host });
    }
  } else {
    return undefined;
  }
  const seen = new Set<string>();
  for (const { url } of targets) {
    if (seen.has(url))
      reader.problem(urls !== undefined ? 'poll_urls' : 'poll_hosts', `'${url}' is listed twice`);
    seen.add(url);
  }
  return targets.length > 0 ? targets : undefined;
}

function checkUrl(reader: SectionReader, key: string, url: string): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    reader.problem(key, `'${url}' is not a URL (${errorMessage(err)})`);
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    reader.problem(key, `'${url}': only http and https URLs are polled`);
    return undefined;
  }
  return parsed;
}

function duration(reader: SectionReader, key: string, fallback: number, min: number): number {
  const text = reader.string(key);
  if (text === undefined) return fallback;
  const parsed = parseDuration(text);
  if ('problem' in parsed) {
    reader.problem(key, parsed.problem);
    return fallback;
  }
  if (parsed.ms < min) {
    reader.problem(key, `${text} is below the minimum ${min < 1000 ? `${min} ms` : `${min / 1000} s`}`);
    return fallback;
  }
  return parsed.ms;
}
