import { expect } from 'chai';
import type { Log } from '../../lib/core/log.js';
import { LogSummary } from '../../lib/core/log-summary.js';

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const log = {
    lines,
    error: (message: string) => lines.push(`error ${message}`),
    warning: (message: string) => lines.push(`warning ${message}`),
    notice: (message: string) => lines.push(`notice ${message}`),
    info: (message: string) => lines.push(`info ${message}`),
    debug: () => {},
    isDebug: () => false,
    child: () => log,
  };
  return log;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('core/log-summary', () => {
  it('logs the first event of a kind, then one count per period, then the first again after a quiet period', async () => {
    const log = recordingLog();
    const summary = new LogSummary({ log, intervalMs: 100 });
    for (let i = 0; i < 50; i++) summary.report('503 other', 'error', `request ${i} failed`, 'http: 503s');
    summary.report('500 ingest', 'warning', 'ingest broke', 'http: 500s');
    expect(log.lines).to.deep.equal(['error request 0 failed', 'warning ingest broke']);
    await sleep(150);
    expect(log.lines.slice(2)).to.deep.equal(['error http: 503s: 49 more in the last 0 s']);
    // A whole quiet period forgets the kind: its next event is logged in full.
    await sleep(250);
    summary.report('503 other', 'error', 'request 50 failed', 'http: 503s');
    expect(log.lines.at(-1)).to.equal('error request 50 failed');
    summary.report('503 other', 'error', 'request 51 failed', 'http: 503s');
    summary.flush();
    expect(log.lines.at(-1)).to.equal('error http: 503s: 1 more in the last 0 s');
  });
});
