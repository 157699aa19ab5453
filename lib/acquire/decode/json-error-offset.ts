const WHITE_SPACE = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

type Expect = 'value' | 'first-value' | 'key' | 'first-key' | 'after';

/**
 * The offset (UTF-16 index) at which `text` stops being valid JSON (RFC 8259), or undefined when it is
 * valid. For error messages only: JSON.parse does not always say where. Iterative, so deep nesting
 * cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const open: ('{' | '[')[] = [];
  let expect: Expect = 'value';
  const skip = () => {
    WHITE_SPACE.lastIndex = i;
    WHITE_SPACE.exec(text);
    i = WHITE_SPACE.lastIndex;
  };
  const take = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  for (;;) {
    skip();
    const ch = text[i];
    switch (expect) {
      case 'first-value':
      case 'value':
        if (expect === 'first-value' && ch === ']') {
          open.pop();
          i++;
          expect = 'after';
        } else if (ch === '{' || ch === '[') {
          open.push(ch);
          i++;
          expect = ch === '{' ? 'first-key' : 'first-value';
        } else if (take(STRING) || take(NUMBER) || take(LITERAL)) {
          expect = 'after';
        } else {
          return i;
        }
        break;
      case 'first-key':
      case 'key':
        if (expect === 'first-key' && ch === '}') {
          open.pop();
          i++;
          expect = 'after';
          break;
        }
        if (!take(STRING)) return i;
        skip();
        if (text[i] !== ':') return i;
        i++;
        expect = 'value';
        break;
      case 'after': {
        const top = open[open.length - 1];
        if (top === undefined) return i < text.length ? i : undefined;
        if (ch === ',') {
          i++;
          expect = top === '{' ? 'key' : 'value';
        } else if (ch === (top === '{' ? '}' : ']')) {
          open.pop();
          i++;
        } else {
          return i;
        }
      }
    }
  }
}
