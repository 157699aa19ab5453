/** Python's float() grammar without `_` digit separators: what Kotori accepts as a number. */
const NUMERIC_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Python's float() also reads these words; they give NaN or ±Infinity. */
const NON_FINITE_TEXT = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * A number written as text, read the way Kotori's `float()` does: surrounding white space is
 * ignored; decimal and exponent forms are numbers (`21.5`, ` 42 `, `1e3`, `.5`); `nan`, `inf` and
 * `infinity` (any case, signed) give NaN / ±Infinity. Anything else (`''`, `0x10`, `1,5`, `12 V`)
 * is not a number: `undefined`.
 */
export function parseNumericText(text: string): number | undefined {
  const trimmed = text.trim();
  if (NUMERIC_TEXT.test(trimmed)) return Number(trimmed);
  if (NON_FINITE_TEXT.test(trimmed)) {
    if (/nan/i.test(trimmed)) return Number.NaN;
    return trimmed.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return undefined;
}
