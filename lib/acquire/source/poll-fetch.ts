import { errorMessage } from '../../core/errors.js';
import type { PollResult } from './poll-nodes.js';

/** A polled body larger than this is refused (a node's log is kilobytes to a few megabytes). */
export const MAX_POLL_BODY_BYTES = 64 * 2 ** 20;

/** What one request brought. */
export type PollAnswer =
  | { kind: 'body'; body: Buffer; contentType: string | undefined; headers: Headers }
  | { kind: 'not-modified' }
  | {
      kind: 'failed';
      result: Extract<PollResult, 'http_error' | 'timeout' | 'unreachable'>;
      problem: string;
    };

/** One request of a polling round. */
export interface PollRequest {
  url: string;
  /** Conditional headers (`PollValidators.headers`). */
  headers: Record<string, string>;
  /** The whole request, body included, ms. */
  timeoutMs: number;
  /** The source stopping: ends the request at once. */
  signal: AbortSignal;
}

/**
 * GETs one node's URL with Node's built-in `fetch` (undici): no dependency, connection reuse per
 * origin, and one `AbortSignal` that ends connecting, waiting and reading alike — which is how
 * `poll_timeout` bounds the whole request and `stop()` ends it. Redirects are followed (fetch's
 * default). A body over `MAX_POLL_BODY_BYTES` is cut off and counted as a failed request.
 */
export async function fetchPolled(request: PollRequest): Promise<PollAnswer> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([timeout, request.signal]);
  try {
    const response = await fetch(request.url, {
      headers: { 'user-agent': 'daqd', accept: '*/*', ...request.headers },
      signal,
    });
    if (response.status === 304) {
      await response.body?.cancel();
      return { kind: 'not-modified' };
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel();
      return {
        kind: 'failed',
        result: 'http_error',
        problem: `HTTP ${response.status} ${response.statusText}`.trim(),
      };
    }
    const body = await readBody(response);
    if (body === undefined) {
      return {
        kind: 'failed',
        result: 'http_error',
        problem: `body larger than ${MAX_POLL_BODY_BYTES} bytes`,
      };
    }
    return {
      kind: 'body',
      body,
      contentType: response.headers.get('content-type') ?? undefined,
      headers: response.headers,
    };
  } catch (err) {
    if (timeout.aborted && !request.signal.aborted) {
      return {
        kind: 'failed',
        result: 'timeout',
        problem: `no complete answer within ${request.timeoutMs / 1000} s`,
      };
    }
    return { kind: 'failed', result: 'unreachable', problem: causeOf(err) };
  }
}

/** The body, or undefined when it is larger than allowed. */
async function readBody(response: Response): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_POLL_BODY_BYTES) {
    await response.body?.cancel();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_POLL_BODY_BYTES) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** fetch's own message is `fetch failed`; what went wrong is in its cause (`ECONNREFUSED`, …). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause !== undefined) {
    if (typeof cause.code === 'string') return cause.code;
    if (typeof cause.message === 'string') return cause.message;
  }
  return errorMessage(err);
}
