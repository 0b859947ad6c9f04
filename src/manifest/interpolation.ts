/**
 * Airbyte's Jinja interpolation (https://docs.airbyte.com/platform/connector-development/config-based/advanced-topics/string-interpolation) on top of @huggingface/jinja.
 *
 * - Templates are parsed once and cached by their source text, with their compiled fast path
 *   (compiled-template.ts) where the template only uses what it covers: that path evaluates the
 *   expression against the context as it is (a whole parsed page, for a paginator), and leaves to
 *   the library every template and every value it does not cover, so the outcome is the library's.
 * - An undefined attribute or key renders as empty (as Airbyte swallows UndefinedError); an empty
 *   render yields the default.
 * - `interpolate` casts the rendered text like Python's `ast.literal_eval` (ints, floats, booleans,
 *   None, lists and dicts); `interpolateString` keeps the text (paths and query values);
 *   `interpolateBoolean` applies Airbyte's falsy strings.
 */
import { Template } from "@huggingface/jinja";
import { systemError } from "../errors.js";
import { type CompiledTemplate, compileTemplate } from "./compiled-template.js";

export type InterpolationContext = Record<string, unknown>;

const TEMPLATE_MARK = /{{|{%/;

interface ParsedTemplate {
  template: Template;
  /** The fast path; undefined when the template uses something only the library evaluates. */
  compiled: CompiledTemplate | undefined;
}

const cache = new Map<string, ParsedTemplate>();

function compile(source: string): ParsedTemplate {
  let parsed = cache.get(source);
  if (!parsed) {
    let template: Template;
    try {
      template = new Template(source);
    } catch (error) {
      throw systemError(`The manifest has an invalid template: ${source}`, String(error));
    }
    parsed = { template, compiled: compileTemplate(template.parsed, MACRO_NAMES) };
    cache.set(source, parsed);
  }
  return parsed;
}

/** True when the string holds Jinja markup. */
export function isTemplate(value: unknown): value is string {
  return typeof value === "string" && TEMPLATE_MARK.test(value);
}

/** Checks that a template parses; throws a system_error naming it otherwise. */
export function assertTemplate(source: string): void {
  if (isTemplate(source)) compile(source);
}

/** Renders a template to text. Undefined values render as "". */
export function render(source: string, context: InterpolationContext): string {
  if (!isTemplate(source)) return source;
  const parsed = compile(source);
  return renderCompiled(parsed, context) ?? renderWithLibrary(parsed.template, source, context);
}

/** The fast path's text, or undefined where the template or this context is left to the library. */
function renderCompiled(parsed: ParsedTemplate, context: InterpolationContext): string | undefined {
  if (!parsed.compiled) return undefined;
  try {
    return parsed.compiled(context);
  } catch {
    // NOT_COMPILED (a value the fast path leaves to the library), or anything unforeseen: the
    // library gives the answer, and its errors.
    return undefined;
  }
}

/** `render` through the fast path only: undefined where it would use the library (for tests). */
export function renderFast(source: string, context: InterpolationContext): string | undefined {
  return isTemplate(source) ? renderCompiled(compile(source), context) : source;
}

/** `render` through the library only (for tests comparing both paths). */
export function renderSlow(source: string, context: InterpolationContext): string {
  return isTemplate(source) ? renderWithLibrary(compile(source).template, source, context) : source;
}

function renderWithLibrary(template: Template, source: string, context: InterpolationContext): string {
  try {
    return template.render({ ...MACROS, ...context });
  } catch (error) {
    // Calling or indexing an undefined value (e.g. `none.get(...)`) is Jinja's UndefinedError,
    // which Airbyte swallows: the expression is empty.
    if (/Undefined|NullValue|undefined|null/i.test(String(error))) return "";
    throw systemError(`Could not evaluate the manifest template ${source}`, String(error));
  }
}

/** Renders and keeps text; an empty result gives `fallback`. */
export function interpolateString(
  source: string,
  context: InterpolationContext,
  fallback = "",
): string {
  const text = render(source, context);
  return text === "" ? fallback : text;
}

/** Renders and casts like Airbyte (Python literal_eval). An empty result gives `fallback`. */
export function interpolate(source: unknown, context: InterpolationContext, fallback?: unknown): unknown {
  if (typeof source !== "string") return source ?? fallback;
  const text = render(source, context);
  if (text === "") return fallback;
  return literalEval(text);
}

const FALSY = new Set(["False", "false", "{}", "[]", "()", "", "0", "0.0", "None", "none", "null"]);

/** Airbyte's boolean semantics for conditions, predicates and stop conditions. */
export function interpolateBoolean(source: unknown, context: InterpolationContext): boolean {
  if (typeof source === "boolean") return source;
  if (source === undefined || source === null) return false;
  return !FALSY.has(render(String(source), context).trim());
}

/** A subset of Python's ast.literal_eval: the rendered text, or the literal it spells. */
export function literalEval(text: string): unknown {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (/^-?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)$/.test(trimmed)) return Number(trimmed);
  if (trimmed === "True") return true;
  if (trimmed === "False") return false;
  if (trimmed === "None") return null;
  const first = trimmed[0];
  if (first === "[" || first === "{" || first === "'" || first === '"' || first === "(") {
    const parsed = new PythonLiteralParser(trimmed).parseAll();
    if (parsed.ok) return parsed.value;
  }
  return text;
}

type ParseResult = { ok: true; value: unknown } | { ok: false };

/** Parses Python (and JSON) literals: str, int, float, bool, None, list, tuple, dict. */
class PythonLiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseAll(): ParseResult {
    try {
      const value = this.value();
      this.ws();
      return this.pos === this.src.length ? { ok: true, value } : { ok: false };
    } catch {
      return { ok: false };
    }
  }

  private ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }

  private value(): unknown {
    this.ws();
    const c = this.src[this.pos];
    if (c === "[" || c === "(") return this.sequence(c === "[" ? "]" : ")");
    if (c === "{") return this.dict();
    if (c === "'" || c === '"') return this.string();
    const m = /^(-?\d+(\.\d*)?([eE][-+]?\d+)?|True|False|None|true|false|null)/.exec(this.src.slice(this.pos));
    if (!m) throw new Error("not a literal");
    this.pos += m[0].length;
    switch (m[0]) {
      case "True":
      case "true":
        return true;
      case "False":
      case "false":
        return false;
      case "None":
      case "null":
        return null;
      default:
        return Number(m[0]);
    }
  }

  private sequence(close: string): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.src[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.ws();
      if (this.src[this.pos] === ",") this.pos++;
      else if (this.src[this.pos] !== close) throw new Error("expected , or close");
    }
  }

  private dict(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.src[this.pos] === "}") {
        this.pos++;
        return out;
      }
      const key = this.value();
      this.ws();
      if (this.src[this.pos] !== ":") throw new Error("expected :");
      this.pos++;
      out[String(key)] = this.value();
      this.ws();
      if (this.src[this.pos] === ",") this.pos++;
      else if (this.src[this.pos] !== "}") throw new Error("expected , or }");
    }
  }

  private string(): string {
    const quote = this.src[this.pos]!;
    this.pos++;
    let out = "";
    while (this.pos < this.src.length) {
      const c = this.src[this.pos++]!;
      if (c === quote) return out;
      if (c === "\\") {
        const e = this.src[this.pos++];
        out += e === "n" ? "\n" : e === "t" ? "\t" : (e ?? "");
      } else out += c;
    }
    throw new Error("unterminated string");
  }
}

// ---------------------------------------------------------------------------------------------
// Macros (Airbyte's interpolation macros). Datetimes are passed around as ISO-8601 strings.

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value * 1000);
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw new Error(`not a datetime: ${String(value)}`);
  return d;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** strftime for the directives Airbyte manifests use, in UTC (`%s` epoch seconds, `%ms` epoch milliseconds). */
export function strftime(date: Date, format: string): string {
  return format.replace(/%(ms|[YmdHMSfzZsjy%])/g, (_, d: string) => {
    switch (d) {
      case "ms":
        return String(date.getTime());
      case "Y":
        return String(date.getUTCFullYear());
      case "y":
        return pad(date.getUTCFullYear() % 100);
      case "m":
        return pad(date.getUTCMonth() + 1);
      case "d":
        return pad(date.getUTCDate());
      case "H":
        return pad(date.getUTCHours());
      case "M":
        return pad(date.getUTCMinutes());
      case "S":
        return pad(date.getUTCSeconds());
      case "f":
        return pad(date.getUTCMilliseconds() * 1000, 6);
      case "z":
        return "+0000";
      case "Z":
        return "UTC";
      case "s":
        return String(Math.floor(date.getTime() / 1000));
      case "j": {
        const start = Date.UTC(date.getUTCFullYear(), 0, 1);
        return pad(Math.floor((date.getTime() - start) / 86_400_000) + 1, 3);
      }
      default:
        return "%";
    }
  });
}

const MACROS: Record<string, unknown> = {
  now_utc: () => new Date().toISOString(),
  today_utc: () => new Date().toISOString().slice(0, 10),
  timestamp: (value: unknown) => Math.floor(toDate(value).getTime() / 1000),
  max: (...values: unknown[]) => values.reduce((a, b) => ((a as number) >= (b as number) ? a : b)),
  day_delta: (days: number, format = "%Y-%m-%dT%H:%M:%S.%f%z") =>
    strftime(new Date(Date.now() + days * 86_400_000), format),
  format_datetime: (value: unknown, format: string) => strftime(toDate(value), format),
  str_to_datetime: (value: string) => toDate(value).toISOString(),
};
const MACRO_NAMES: ReadonlySet<string> = new Set(Object.keys(MACROS));
