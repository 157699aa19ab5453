import { DecodeError } from '../../core/errors.js';

/** A line of a text body, numbered from 1. */
export interface BodyLine {
  text: string;
  number: number;
}

/** The whole body as UTF-8 text (bounded by the limit `chunks` enforces); `DecodeError` when it is not UTF-8. */
export async function bodyText(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return bodyUtf8(Buffer.concat(parts));
}

/**
 * The body as lines, decoded and split while it arrives (`\n` or `\r\n`; a last line without a line
 * break counts). `DecodeError` naming the line when a line is not UTF-8.
 */
export async function* bodyLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<BodyLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending = '';
  let number = 0;
  const decode = (chunk?: Buffer) => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch {
      throw new DecodeError(`line ${number + 1} of the request body is not valid UTF-8`);
    }
  };
  const split = function* (text: string, final: boolean): Generator<BodyLine> {
    pending += text;
    let from = 0;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      number++;
      yield { text: stripCr(pending.slice(from, newline)), number };
      from = newline + 1;
      newline = pending.indexOf('\n', from);
    }
    pending = pending.slice(from);
    if (final && pending !== '') {
      number++;
      yield { text: stripCr(pending), number };
      pending = '';
    }
  };
  for await (const chunk of chunks) yield* split(decode(chunk), false);
  yield* split(decode(), true);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** A whole body as UTF-8 text; `DecodeError` when it is not UTF-8. */
export function bodyUtf8(buffer: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new DecodeError('request body is not valid UTF-8');
  }
}

/** Line-oriented bodies held in memory are split in pieces this large (never one huge string). */
const PIECE = 64 * 1024;

/** The lines of a body held in memory (see `bodyLines`); each call reads anew. */
export function linesOfBody(body: Buffer): AsyncGenerator<BodyLine> {
  return bodyLines(
    (async function* () {
      for (let at = 0; at < body.length; at += PIECE) yield body.subarray(at, at + PIECE);
    })(),
  );
}
