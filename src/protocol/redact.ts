/**
 * Secret redaction for every byte the connector writes (stdout, stderr). Secrets are collected
 * from the config: values at spec properties marked `airbyte_secret`, and any string under a key
 * that names a credential; authenticators add the tokens they obtain or derive at run time.
 *
 * A server may echo a secret in any encoding, and the connector's own JSON output escapes it once
 * more, so each secret is masked in every form a line can plausibly hold it: raw, JSON-escaped
 * (`\"`, `\\`, `\/`, `\uXXXX` of any character, nested any number of times), URL- and
 * form-encoded (also twice, and URL-encoded JSON such as `%5Cu002F`), and base64 or base64url
 * (padded or not, also inside longer text: the three byte alignments, minus the edge characters
 * that depend on the neighbouring bytes).
 *
 * How, in one pass per line: the line is first decoded (every escape above becomes the one
 * character it stands for, remembering where it came from), and ONE regular expression, the
 * alternation of every secret's literal forms (the secret, its form-encoded spaces, and its six
 * base64/base64url cores), longest first, finds them in the decoded text; each match masks the
 * span of the original line it came from. The expression is compiled again on the first line
 * after a secret is added. Only the escapes that stand for a character of some literal are
 * decoded (the others cannot be inside a match), so most lines (a RECORD's `\"` and `\n`) are
 * their own decoding and are not copied. bench/redact.ts measures the cost per line.
 */
import { propertySchema } from "../json-schema.js";

const MASK = "**********";
const SECRET_KEY = /token|secret|password|api_?key|credential|authorization/i;
const MIN_SECRET_LENGTH = 4;
/** Shorter base64 texts (secrets of 4-6 bytes at some alignments) would mask innocent words. */
const MIN_BASE64_LENGTH = 6;

const BACKSLASH = 0x5c;
const PERCENT = 0x25;
/** JSON's short escapes: the character after the backslash, and the one it stands for. */
const SHORT_ESCAPES = new Int16Array(0x80).fill(-1);
for (const [escaped, code] of [[0x22, 0x22], [0x2f, 0x2f], [0x62, 0x08], [0x66, 0x0c], [0x6e, 0x0a], [0x72, 0x0d], [0x74, 0x09]] as const) {
  SHORT_ESCAPES[escaped] = code;
}
const shortEscape = (code: number): number => (code >= 0 && code < 0x80 ? SHORT_ESCAPES[code]! : -1);
/** Nested JSON escapes a line may stack (`\\\\u0041` is `A` escaped twice). */
const MAX_BACKSLASHES = 8;

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function hexValue(line: string, at: number, digits: number): number {
  let value = 0;
  for (let k = 0; k < digits; k++) {
    const d = hexDigit(line.charCodeAt(at + k));
    if (d < 0) return -1;
    value = value * 16 + d;
  }
  return value;
}

/** Where the escape last read by `percentByte`, `backslashEnd` or `escapeAt` ends (no tuple per escape). */
let escapeEnd = 0;

/** The percent-encoded byte at `at` (`%41`, also `%2541`, `%252541`), or -1. */
function percentByte(line: string, at: number): number {
  if (line.charCodeAt(at) !== PERCENT) return -1;
  let i = at + 1;
  for (let k = 0; k < 2 && line.startsWith("25", i) && hexValue(line, i + 2, 2) >= 0; k++) i += 2;
  const byte = hexValue(line, i, 2);
  escapeEnd = i + 2;
  return byte;
}

/** A backslash at `at`, raw or percent-encoded: the index after it, or -1. */
function backslashEnd(line: string, at: number): number {
  if (line.charCodeAt(at) === BACKSLASH) return at + 1;
  return percentByte(line, at) === BACKSLASH ? escapeEnd : -1;
}

/**
 * The character code the escape at `at` stands for (its end in `escapeEnd`), or -1. A JSON
 * `\uXXXX` or short escape behind one or more backslashes (nested JSON), each possibly
 * percent-encoded (URL-encoded JSON); or a percent-encoded byte.
 */
function escapeAt(line: string, at: number): number {
  // The common case first: one backslash before a short escape (a RECORD's `\"` and `\n`).
  const short = line.charCodeAt(at) === BACKSLASH ? shortEscape(line.charCodeAt(at + 1)) : -1;
  if (short >= 0) {
    escapeEnd = at + 2;
    return short;
  }
  let i = at;
  let count = 0;
  for (let next = backslashEnd(line, i); next >= 0 && count < MAX_BACKSLASHES; next = backslashEnd(line, i)) {
    i = next;
    count++;
  }
  if (count === 0) return percentByte(line, at);
  if (line.charCodeAt(i) === 0x75) {
    const unit = hexValue(line, i + 1, 4);
    escapeEnd = i + 5;
    if (unit >= 0) return unit;
  }
  const shortAfter = shortEscape(line.charCodeAt(i));
  escapeEnd = i + 1;
  if (shortAfter >= 0) return shortAfter;
  const encodedShort = shortEscape(percentByte(line, i));
  if (encodedShort >= 0) return encodedShort;
  escapeEnd = i;
  // `\\`: the last backslash is the escaped one; a lone `%5C` is a URL-encoded backslash.
  return count >= 2 ? BACKSLASH : percentByte(line, at);
}

/**
 * A line with its escapes decoded (one character each; percent-encoded bytes as Latin-1
 * characters), and where each decoded character came from: `boundaries` holds pairs of a decoded
 * index and the line index it maps to, at the edges of each escape (in between, both advance
 * together). Undefined `boundaries`: the line is its own decoding.
 */
interface Decoded {
  text: string;
  boundaries: number[] | undefined;
}

/**
 * Decodes the escapes of `line` that stand for a character `wanted` marks (1): the others cannot
 * be part of a secret and stay as they are, which spares the copy for most lines (a RECORD's `\"`
 * and `\n`).
 */
function decode(line: string, wanted: Uint8Array): Decoded {
  let boundaries: number[] | undefined;
  let text = "";
  let last = 0;
  // The next backslash and percent sign (native searches; -1: none left).
  let backslash = line.indexOf("\\");
  let percent = line.indexOf("%");
  while (backslash >= 0 || percent >= 0) {
    const i = backslash < 0 ? percent : percent < 0 ? backslash : Math.min(backslash, percent);
    const decoded = escapeAt(line, i);
    let next = i + 1;
    if (decoded >= 0 && wanted[decoded] === 1) {
      text += line.slice(last, i);
      (boundaries ??= []).push(text.length, i, text.length + 1, escapeEnd);
      text += String.fromCharCode(decoded);
      last = next = escapeEnd;
    }
    if (backslash >= 0 && backslash < next) backslash = line.indexOf("\\", next);
    if (percent >= 0 && percent < next) percent = line.indexOf("%", next);
  }
  return boundaries ? { text: text + line.slice(last), boundaries } : { text: line, boundaries: undefined };
}

/** Every character decoded: how the secrets themselves are decoded into the matcher's literals. */
const EVERY_CHARACTER = new Uint8Array(0x10000).fill(1);

/** The line index a decoded index maps to. */
function lineIndex(decoded: Decoded, index: number): number {
  const b = decoded.boundaries;
  if (!b?.length) return index;
  let lo = 0;
  let hi = b.length / 2 - 1;
  if (index < b[0]!) return index;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (b[mid * 2]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return b[lo * 2 + 1]! + (index - b[lo * 2]!);
}

/**
 * The base64 text of `secret` preceded by 0, 1 or 2 other bytes, without the characters that also
 * encode bits of the neighbours (2 or 3 at the start when preceded, 1 at the end when the secret
 * does not end on a 3-byte group) and without padding: what any base64 text holding the secret
 * contains, whatever surrounds it.
 */
export function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const cores = [0, 1, 2].map((before) => {
    const text = Buffer.concat([Buffer.alloc(before), bytes]).toString("base64").replace(/=+$/, "");
    const end = (before + bytes.length) % 3 === 0 ? text.length : text.length - 1;
    return text.slice([0, 2, 3][before], end);
  });
  return cores.filter((core) => core.length >= MIN_BASE64_LENGTH);
}

/** What a line holding `secret` in any supported form holds once decoded: the matcher's literals. */
function literalsOf(secret: string): string[] {
  const plain = [secret, secret.replace(/ /g, "+"), Buffer.from(secret, "utf8").toString("latin1")];
  const base64 = base64Cores(secret).flatMap((core) => [core, core.replace(/\+/g, "-").replace(/\//g, "_")]);
  // A secret holding `\t` or `%41` is found as written (escapes decoded one by one) and as decoded.
  return [...plain, ...plain.map((form) => decode(form, EVERY_CHARACTER).text), ...base64];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

export class Redactor {
  private readonly secrets = new Set<string>();
  /** Every secret's every form, in one expression; undefined until needed after a change. */
  private matcher: RegExp | undefined;
  /** The characters of the matcher's literals: the escapes worth decoding (all, if one has `\\` or `%`). */
  private wanted = EVERY_CHARACTER;

  add(value: unknown): void {
    if (typeof value !== "string") return;
    // Authenticators send a config value trimmed: mask it both ways.
    for (const v of [value, value.trim()]) {
      if (v.length < MIN_SECRET_LENGTH || this.secrets.has(v)) continue;
      this.secrets.add(v);
      this.matcher = undefined;
    }
  }

  /** Registers the secrets of a config, guided by the spec's `airbyte_secret` marks. */
  addFromConfig(config: unknown, spec?: Record<string, unknown>): void {
    const visit = (value: unknown, schema: unknown, key: string | undefined): void => {
      const node = schema && typeof schema === "object" ? (schema as Record<string, unknown>) : undefined;
      if (typeof value === "string") {
        if (node?.airbyte_secret === true || (key !== undefined && SECRET_KEY.test(key))) this.add(value);
        return;
      }
      if (Array.isArray(value)) {
        for (const item of value) visit(item, node?.items, key);
        return;
      }
      if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) visit(v, propertySchema(node, k), k);
      }
    };
    visit(config, spec, undefined);
  }

  redact(line: string): string {
    if (!this.secrets.size) return line;
    this.matcher ??= this.compile();
    const decoded = decode(line, this.wanted);
    const matcher = this.matcher;
    matcher.lastIndex = 0;
    let out = "";
    let last = 0;
    for (let m = matcher.exec(decoded.text); m; m = matcher.exec(decoded.text)) {
      const start = lineIndex(decoded, m.index);
      out += line.slice(last, start) + MASK;
      last = lineIndex(decoded, m.index + m[0].length);
    }
    return last === 0 ? line : out + line.slice(last);
  }

  private compile(): RegExp {
    // Longest first: where a secret contains another, the alternation tries the whole one first.
    const literals = Array.from(new Set([...this.secrets].flatMap(literalsOf))).sort((a, b) => b.length - a.length);
    const all = literals.join("");
    if (all.includes("\\") || all.includes("%")) this.wanted = EVERY_CHARACTER;
    else {
      this.wanted = new Uint8Array(0x10000);
      for (let i = 0; i < all.length; i++) this.wanted[all.charCodeAt(i)] = 1;
    }
    return new RegExp(literals.map(escapeRegExp).join("|"), "g");
  }
}

/**
 * The process-wide registry: the CLIs register the config's secrets here, and authenticators
 * register the access tokens they obtain, so every writer masks them all.
 */
export const secrets = new Redactor();
