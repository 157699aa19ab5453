import type { PollRoundReport, PollUrlReport } from '../acquire/source/poll.js';
import { errorMessage } from '../core/errors.js';
import { EXIT_CONFIG } from './check.js';
import { type CommandOptions, commandSettings, EXIT_USAGE } from './command-settings.js';

/** EX_UNAVAILABLE: no daemon to run the round. */
const EXIT_UNAVAILABLE = 69;

/** What `daqd poll` is run with. */
export type PollCommandOptions = CommandOptions;

/**
 * `daqd poll <realm>`: asks the running daemon (at `[http] listen`/`port` of the main file, over
 * loopback) to run one polling round of the realm now, and prints per URL what it stored. The daemon
 * runs it, not this process, so the round uses the daemon's store, spool, delivered marks and metrics,
 * and never writes beside it. Exit codes: 0 some URL answered, 1 every URL failed, 64 usage, 69 no
 * daemon (or it refused), 78 invalid configuration.
 */
export async function runPoll(args: readonly string[], options: PollCommandOptions): Promise<number> {
  const { out, err } = options;
  const [realm, ...extra] = args;
  if (realm === undefined || extra.length > 0) {
    err(realm === undefined ? 'daqd poll: expected a realm' : `daqd poll: unexpected argument '${extra[0]}'`);
    return EXIT_USAGE;
  }
  const settings = await commandSettings(options);
  if (settings === undefined) return EXIT_CONFIG;
  const { listen, port } = settings.http;
  const url = `http://${loopbackHost(listen)}:${port}/poll/${encodeURIComponent(realm)}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? errorMessage(e);
    err(`daqd poll: no daqd answers at ${url} (${cause}); is the daemon running?`);
    return EXIT_UNAVAILABLE;
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // Not daqd's JSON error: print it as it came.
    }
    err(`daqd poll: ${response.status}: ${message}`);
    return EXIT_UNAVAILABLE;
  }
  const report = JSON.parse(text) as PollRoundReport;
  for (const line of reportLines(report)) out(line);
  const answered = report.urls.some((u) => u.result === 'ok' || u.result === 'not_modified');
  return answered ? 0 : 1;
}

/** The lines `daqd poll` prints for a round: one per URL, then the totals. */
export function reportLines(report: PollRoundReport): string[] {
  const lines = report.urls.map(urlLine);
  const sum = (pick: (u: PollUrlReport) => number) => report.urls.reduce((n, u) => n + pick(u), 0);
  const failed = report.urls.filter((u) => u.result !== 'ok' && u.result !== 'not_modified').length;
  lines.push(
    `realm '${report.realm}': ${report.urls.length} URL(s), ${sum((u) => u.stored)} reading(s) stored, ` +
      `${sum((u) => u.skipped)} skipped, ${failed} failed`,
  );
  return lines;
}

function urlLine(u: PollUrlReport): string {
  const counts = `stored ${u.stored}, already stored ${u.already}, skipped ${u.skipped}`;
  if (u.result === 'ok') return `${u.url}: ${counts}`;
  if (u.result === 'not_modified') return `${u.url}: not modified (304), nothing new`;
  return `${u.url}: ${u.result}${u.problem === undefined ? '' : `: ${u.problem}`} (${counts})`;
}

/** Where this machine reaches a daemon listening on `listen`. */
function loopbackHost(listen: string): string {
  if (listen === '' || listen === '0.0.0.0') return '127.0.0.1';
  if (listen === '::') return '[::1]';
  return listen.includes(':') ? `[${listen}]` : listen;
}
