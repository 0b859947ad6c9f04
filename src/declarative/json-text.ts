/**
 * Checks on JSON text before JSON.parse sees it, for what parsing would hide or what would break
 * later: integers beyond 2^53 (JSON.parse rounds them silently: a `gid` 123456789012345678901
 * becomes 123456789012345680000) and absurd nesting (recursive code downstream, e.g. schema
 * validation, overflows the stack). Both scan outside strings only, and both start with a cheap
 * test that the common text passes at once.
 */

/** The index just after the string that starts (with its opening quote) at `start`. */
function skipString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const next = text.indexOf('"', i);
    if (next < 0) return text.length;
    let backslashes = 0;
    for (let j = next - 1; j > start && text.charCodeAt(j) === 92; j--) backslashes++;
    if (backslashes % 2 === 0) return next + 1;
    i = next + 1;
  }
}

/** A run of 16+ digits where a JSON number can start (after `:`, `,`, `[` or whitespace). */
const MAYBE_LONG_INTEGER = /(?:^|[:,[\s])-?\d{16,}/;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const KEY_END = /\s*:/y;
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

export interface UnsafeInteger {
  /** The object key the number is the value of (or an element of), if any. */
  field: string | undefined;
  /** Its offset in the text. */
  offset: number;
  digits: number;
}

/**
 * The first integer literal (outside strings) that a JavaScript number cannot hold exactly
 * (|n| > 2^53 - 1), or undefined. Decimals and exponents are left alone: they are floats anyway.
 */
export function findUnsafeInteger(text: string): UnsafeInteger | undefined {
  if (!MAYBE_LONG_INTEGER.test(text)) return undefined;
  let field: string | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = skipString(text, i);
      KEY_END.lastIndex = end;
      if (KEY_END.test(text)) field = text.slice(i + 1, end - 1);
      i = end;
    } else if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) return undefined; // not JSON: JSON.parse reports it
      const literal = match[0];
      if (match[1] === undefined && match[2] === undefined && literal.replace("-", "").length >= 16) {
        const value = BigInt(literal);
        if (value > MAX_EXACT || -value > MAX_EXACT) return { field, offset: i, digits: literal.replace("-", "").length };
      }
      i += literal.length;
    } else {
      i++;
    }
  }
  return undefined;
}

/** How deep the text nests past `limit` levels of arrays and objects: true when it does. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Each level takes at least one character.
  if (text.length <= limit) return false;
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i = skipString(text, i);
      continue;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      depth--;
    }
    i++;
  }
  return false;
}
