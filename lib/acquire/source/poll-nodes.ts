/**
 * How one request of a polling round ended, as `/metrics` labels it:
 * `ok` (a body, its new readings stored), `not_modified` (304: nothing new, a success), `http_error`
 * (the node answered with another status), `timeout`, `unreachable` (no connection, or it broke),
 * `bad_body` (the node answered, but nothing in the body could be read), `store_failed` (read, but not
 * stored: the store is down and the spool full, or daqd is stopping).
 */
export type PollResult =
  | 'ok'
  | 'not_modified'
  | 'http_error'
  | 'timeout'
  | 'unreachable'
  | 'bad_body'
  | 'store_failed';

export const POLL_RESULTS: readonly PollResult[] = [
  'ok',
  'not_modified',
  'http_error',
  'timeout',
  'unreachable',
  'bad_body',
  'store_failed',
];

/** Results that say the node did not answer as a node should: it counts as down. */
const DOWN_RESULTS: ReadonlySet<PollResult> = new Set(['http_error', 'timeout', 'unreachable']);

/** One polled URL as `/metrics` and `/health` show it. */
export interface PollNodeStatus {
  url: string;
  host: string;
  /** False from the first request that failed until one succeeds. */
  up: boolean;
  /** Since when it is down (ms since the epoch), while it is. */
  downSince?: number | undefined;
  /** Why it is down, while it is. */
  problem?: string | undefined;
  /** When a request last succeeded (ms since the epoch). */
  lastSuccess?: number | undefined;
  /** Requests by result, since the realm's channel started. */
  requests: Record<PollResult, number>;
  /** Requests that failed (every result but `ok` and `not_modified`). */
  failures: number;
}

/** What a recorded request changed: the node went down, came back, or neither. */
export type NodeTransition = 'down' | 'up' | undefined;

/**
 * Per-URL up/down tracking of a polling source. A node that stops answering is down from that request
 * on, and said so once (`record` returns `down`); once a request succeeds again it is back (`up`, said
 * once). A node starts up: one whose first request fails goes down then.
 */
export class PollNodes {
  private readonly nodes = new Map<string, PollNodeStatus>();

  constructor(targets: readonly { url: string; host: string }[]) {
    for (const { url, host } of targets) {
      const requests = Object.fromEntries(POLL_RESULTS.map((r) => [r, 0])) as Record<PollResult, number>;
      this.nodes.set(url, { url, host, up: true, requests, failures: 0 });
    }
  }

  /** Records one request's result at `now`; says whether the node went down or came back. */
  record(url: string, result: PollResult, problem: string | undefined, now: number): NodeTransition {
    const node = this.nodes.get(url);
    if (node === undefined) return undefined;
    node.requests[result]++;
    if (result !== 'ok' && result !== 'not_modified') node.failures++;
    if (result === 'ok' || result === 'not_modified') node.lastSuccess = now;
    if (DOWN_RESULTS.has(result)) {
      node.problem = problem;
      if (!node.up) return undefined;
      node.up = false;
      node.downSince = now;
      return 'down';
    }
    // An answer, even one that could not be stored or read, means the node is there.
    if (node.up) return undefined;
    node.up = true;
    node.downSince = undefined;
    node.problem = undefined;
    return 'up';
  }

  /** Every node, in configured order. */
  list(): PollNodeStatus[] {
    return [...this.nodes.values()];
  }
}
