import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

/** Default `[http] body_timeout`, seconds. */
export const DEFAULT_BODY_TIMEOUT_S = 30;

/**
 * The request's body chunks as they arrive, refused with 408 (and `Connection: close`, so the socket is
 * closed once the answer is out) when no byte arrives for `idleMs` (`[http] body_timeout`; 0 = no
 * limit). A stalled upload thus frees what it holds (its place among large uploads, its buffers) after
 * `idleMs`, not after Node's `requestTimeout` (5 min). A slow upload that keeps sending is not cut off.
 * The stream is not destroyed when the reader stops early, so an error can still be answered.
 */
export async function* idleLimitedChunks(req: IncomingMessage, idleMs: number): AsyncGenerator<Buffer> {
  const chunks = req.iterator({ destroyOnReturn: false });
  if (idleMs <= 0) {
    for await (const chunk of chunks) yield chunk as Buffer;
    return;
  }
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const next = chunks.next();
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), idleMs);
    });
    let step: IteratorResult<unknown> | 'stalled';
    try {
      step = await Promise.race([next, stalled]);
    } finally {
      clearTimeout(timer);
    }
    if (step === 'stalled') {
      // The read still pending settles when the socket closes; nothing waits for it any more.
      next.catch(() => undefined);
      throw new HttpError(
        408,
        `request body stalled: no data for ${idleMs / 1000} s ([http] body_timeout); send it again`,
        { Connection: 'close' },
      );
    }
    if (step.done === true) return;
    yield step.value as Buffer;
  }
}
