/**
 * A compiled fast path for the Jinja expressions manifests use, evaluated against the live
 * context: nothing converts or copies a page, a record or the config to evaluate an expression.
 *
 * `@huggingface/jinja`'s `render` converts its whole context into runtime values on every call
 * (a whole parsed page, for a paginator's stop condition); this module compiles the parsed
 * template (the library's own AST, so parsing and precedence are the library's) into closures over
 * plain JavaScript values, with the library's semantics for what it covers:
 *   - text, identifiers, string / integer / non-integral float / list / string-keyed dict literals;
 *   - attribute and subscript chains (`a.b`, `a['b']`, `a[0]`, `list.length`), `dict.get(k[, d])`
 *     and `str.split(sep)`;
 *   - `not`, `and` / `or` (which give an operand, as in Python), `==`, `!=`, `<`, `<=`, `>`, `>=`,
 *     `in`, `not in`, `+` (strings, integers) and `~`;
 *   - `x if c else y`, `x if c`, and the `replace` filter.
 * A template using anything else is not compiled (`compileTemplate` gives undefined). A compiled
 * template meets a value it does not cover the way the library does (a comparison of dicts, a
 * method other than `get`, an error such as calling a method of None) by throwing
 * `NOT_COMPILED`: its caller then renders that call with the library, so every outcome, errors
 * included, stays the library's.
 */

/** Thrown by a compiled template for a value it leaves to the library. */
export const NOT_COMPILED: unique symbol = Symbol("not compiled");

export type CompiledTemplate = (context: Readonly<Record<string, unknown>>) => string;

/** The parts of the library's AST nodes this module reads (`Template.parsed` and below). */
interface JinjaNode {
  type: string;
  value?: unknown;
  body?: JinjaNode[];
  object?: JinjaNode;
  property?: JinjaNode;
  computed?: boolean;
  callee?: JinjaNode;
  args?: JinjaNode[];
  operator?: { value: string };
  left?: JinjaNode;
  right?: JinjaNode;
  argument?: JinjaNode;
  condition?: JinjaNode;
  trueExpr?: JinjaNode;
  falseExpr?: JinjaNode;
  lhs?: JinjaNode;
  test?: JinjaNode;
  operand?: JinjaNode;
  filter?: JinjaNode;
}

type Context = Readonly<Record<string, unknown>>;
type Evaluate = (context: Context) => unknown;

/** Not compiled: the template uses something this module leaves to the library. */
class Unsupported extends Error {}

/** The constants the library declares in every render (`true`, `none`, ...). */
const CONSTANTS = new Map<string, unknown>([
  ["true", true],
  ["false", false],
  ["none", null],
  ["True", true],
  ["False", false],
  ["None", null],
]);
/** The library's other globals: functions, left to it. */
const LIBRARY_FUNCTIONS = new Set(["namespace", "raise_exception", "range", "strftime_now"]);
/** A dict's methods in the library: `get` is compiled where it is called; the others are not. */
const DICT_METHODS = new Set(["get", "items", "keys", "values", "dictsort"]);
const EMPTY_DICT: Readonly<Record<string, unknown>> = Object.freeze({});

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

function notCompiled(): never {
  throw NOT_COMPILED;
}

/** A plain object (a JSON object, the config): the library's dict. */
function isDict(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A value the compiled path covers as itself: a string, number, boolean, null/undefined, list or dict. */
function checkCovered(value: unknown): void {
  if (typeof value === "function" || (value !== null && typeof value === "object" && !Array.isArray(value) && !isDict(value))) {
    notCompiled();
  }
}

/** The library's truthiness (Python's): empty strings, lists and dicts, 0, None are false. */
export function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") {
    for (const key in value) if (hasOwn(value, key)) return true;
    return false;
  }
  return Boolean(value);
}

const isInteger = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value);
const isPrimitive = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "number" || typeof value === "boolean";

/** `object.property` / `object[property]` as the library evaluates it. */
function member(object: unknown, property: unknown): unknown {
  if (isDict(object)) {
    if (typeof property !== "string") return notCompiled();
    if (hasOwn(object, property)) return object[property];
    return DICT_METHODS.has(property) ? notCompiled() : undefined;
  }
  if (Array.isArray(object)) {
    if (isInteger(property)) return object.at(property);
    if (typeof property === "string") return property === "length" ? object.length : undefined;
    return notCompiled();
  }
  if (typeof object === "string") return isInteger(property) ? object.at(property) : notCompiled();
  if ((object === null || object === undefined) && typeof property === "string") return undefined;
  return notCompiled();
}

/** `dict.get(key[, default])`: the value if the key is there (even None), else the default, else None. */
function dictGet(object: unknown, args: readonly unknown[]): unknown {
  if (!isDict(object) || hasOwn(object, "get")) return notCompiled();
  const key = args[0];
  if (typeof key !== "string") return notCompiled();
  if (hasOwn(object, key)) return object[key];
  return args.length > 1 ? args[1] : null;
}

/** `str.split(sep)` with a non-empty separator; anything else (whitespace splitting, maxsplit, not a string) is the library's. */
function splitText(text: unknown, separator: unknown): unknown {
  if (typeof text !== "string" || typeof separator !== "string" || separator === "") return notCompiled();
  return text.split(separator);
}

/** `==` in the library: JavaScript's loose equality of the values (None is undefined there). */
function equals(left: unknown, right: unknown): boolean {
  const covered = (v: unknown): boolean => v === null || v === undefined || isPrimitive(v);
  if (!covered(left) && !covered(right)) return notCompiled();
  if (!covered(left) || !covered(right)) {
    // A list or dict against None is false; against anything else the library compares its own wrapper.
    return left === null || left === undefined || right === null || right === undefined ? false : notCompiled();
  }
  return (left ?? undefined) == (right ?? undefined);
}

function contains(left: unknown, right: unknown): boolean {
  if (right === undefined) return false;
  if (left === undefined || left === null || right === null) return notCompiled();
  if (Array.isArray(right)) {
    if (!isPrimitive(left)) return notCompiled();
    return right.some((item) => item === left);
  }
  if (typeof left === "string" && typeof right === "string") return right.includes(left);
  if (typeof left === "string" && isDict(right)) return hasOwn(right, left);
  return notCompiled();
}

function plus(left: unknown, right: unknown): unknown {
  if (isInteger(left) && isInteger(right)) return left + right;
  if ((typeof left === "string" && isPrimitive(right)) || (typeof right === "string" && isPrimitive(left))) {
    if (typeof left === "number" && !Number.isInteger(left)) return notCompiled();
    if (typeof right === "number" && !Number.isInteger(right)) return notCompiled();
    return String(left) + String(right);
  }
  return notCompiled();
}

function concatenate(left: unknown, right: unknown): string {
  if (!isPrimitive(left) || !isPrimitive(right)) return notCompiled();
  return String(left) + String(right);
}

function compare(operator: string, left: unknown, right: unknown): boolean {
  if (typeof left !== "number" || typeof right !== "number") return notCompiled();
  switch (operator) {
    case "<":
      return left < right;
    case "<=":
      return left <= right;
    case ">":
      return left > right;
    default:
      return left >= right;
  }
}

/** The library's text of a value in the output: None and undefined are nothing. */
function text(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  // A float with an integral value prints as `1.0` in the library; only literals and arithmetic
  // make one, and neither is compiled, so every number here prints as JavaScript does.
  if (typeof value === "number") return String(value);
  return notCompiled(); // lists and dicts print as the library's JSON
}

function node(value: JinjaNode | undefined): JinjaNode {
  if (!value) throw new Unsupported("missing node");
  return value;
}

class Compiler {
  constructor(private readonly deferred: ReadonlySet<string>) {}

  expression(n: JinjaNode): Evaluate {
    switch (n.type) {
      case "StringLiteral":
      case "IntegerLiteral": {
        const value = n.value;
        return () => value;
      }
      case "FloatLiteral": {
        const value = n.value as number;
        if (Number.isInteger(value)) throw new Unsupported("integral float");
        return () => value;
      }
      case "ArrayLiteral": {
        const items = (n.value as JinjaNode[]).map((item) => this.expression(item));
        return (c) => items.map((item) => item(c));
      }
      case "ObjectLiteral":
        return this.dictLiteral(n.value as Map<JinjaNode, JinjaNode>);
      case "Identifier":
        return this.identifier(n.value as string);
      case "MemberExpression":
        return this.member(n);
      case "CallExpression":
        return this.call(n);
      case "UnaryExpression": {
        if (n.operator?.value !== "not") throw new Unsupported(`unary ${n.operator?.value}`);
        const argument = this.expression(node(n.argument));
        return (c) => !truthy(argument(c));
      }
      case "BinaryExpression":
        return this.binary(n);
      case "Ternary": {
        const condition = this.expression(node(n.condition));
        const whenTrue = this.expression(node(n.trueExpr));
        const whenFalse = this.expression(node(n.falseExpr));
        return (c) => (truthy(condition(c)) ? whenTrue(c) : whenFalse(c));
      }
      case "SelectExpression": {
        const test = this.expression(node(n.test));
        const value = this.expression(node(n.lhs));
        return (c) => (truthy(test(c)) ? value(c) : undefined);
      }
      case "FilterExpression":
        return this.filter(n);
      default:
        throw new Unsupported(n.type);
    }
  }

  private identifier(name: string): Evaluate {
    if (LIBRARY_FUNCTIONS.has(name)) throw new Unsupported(name);
    if (CONSTANTS.has(name)) {
      const value = CONSTANTS.get(name);
      // The library refuses a context that declares a constant's name again: leave that to it.
      return (c) => (hasOwn(c, name) ? notCompiled() : value);
    }
    const deferred = this.deferred.has(name);
    return (c) => {
      if (!hasOwn(c, name)) return deferred ? notCompiled() : undefined;
      const value = c[name];
      checkCovered(value);
      return value;
    };
  }

  private dictLiteral(entries: Map<JinjaNode, JinjaNode>): Evaluate {
    if (entries.size === 0) return () => EMPTY_DICT;
    const pairs = [...entries].map(([key, value]) => {
      if (key.type !== "StringLiteral") throw new Unsupported("dict key");
      return [key.value as string, this.expression(value)] as const;
    });
    return (c) => {
      const dict: Record<string, unknown> = {};
      for (const [key, value] of pairs) dict[key] = value(c);
      return dict;
    };
  }

  private property(n: JinjaNode): Evaluate {
    const property = node(n.property);
    if (n.computed) {
      if (property.type === "SliceExpression") throw new Unsupported("slice");
      return this.expression(property);
    }
    if (property.type === "Identifier" || property.type === "IntegerLiteral") {
      const key = property.value;
      return () => key;
    }
    throw new Unsupported(`attribute ${property.type}`);
  }

  private member(n: JinjaNode): Evaluate {
    const object = this.expression(node(n.object));
    const property = this.property(n);
    return (c) => member(object(c), property(c));
  }

  private call(n: JinjaNode): Evaluate {
    const callee = node(n.callee);
    const args = (n.args ?? []).map((arg) => {
      if (arg.type === "KeywordArgumentExpression" || arg.type.includes("Spread")) throw new Unsupported(arg.type);
      return this.expression(arg);
    });
    const method = callee.type === "MemberExpression" && !callee.computed && callee.property?.type === "Identifier" ? callee.property.value : undefined;
    if (method === "split" && args.length === 1) {
      const text = this.expression(node(callee.object));
      return (c) => {
        const separator = args[0]!(c);
        return splitText(text(c), separator);
      };
    }
    if (method !== "get" || args.length < 1 || args.length > 2) throw new Unsupported("call");
    const object = this.expression(node(callee.object));
    // The library evaluates the arguments before the callee.
    return (c) => {
      const values = args.map((arg) => arg(c));
      return dictGet(object(c), values);
    };
  }

  private binary(n: JinjaNode): Evaluate {
    const operator = n.operator?.value ?? "";
    const left = this.expression(node(n.left));
    const right = this.expression(node(n.right));
    switch (operator) {
      case "and":
        return (c) => {
          const l = left(c);
          return truthy(l) ? right(c) : l;
        };
      case "or":
        return (c) => {
          const l = left(c);
          return truthy(l) ? l : right(c);
        };
      case "==":
        return (c) => equals(left(c), right(c));
      case "!=":
        return (c) => !equals(left(c), right(c));
      case "in":
        return (c) => contains(left(c), right(c));
      case "not in":
        return (c) => {
          const l = left(c);
          const r = right(c);
          return r === undefined ? true : !contains(l, r);
        };
      case "+":
        return (c) => plus(left(c), right(c));
      case "~":
        return (c) => concatenate(left(c), right(c));
      case "<":
      case "<=":
      case ">":
      case ">=":
        return (c) => compare(operator, left(c), right(c));
      default:
        throw new Unsupported(`operator ${operator}`);
    }
  }

  private filter(n: JinjaNode): Evaluate {
    const filter = node(n.filter);
    const operand = this.expression(node(n.operand));
    const isReplace = filter.type === "CallExpression" && filter.callee?.type === "Identifier" && filter.callee.value === "replace";
    if (!isReplace || filter.args?.length !== 2) throw new Unsupported("filter");
    const [from, to] = filter.args.map((arg) => {
      if (arg.type === "KeywordArgumentExpression" || arg.type.includes("Spread")) throw new Unsupported(arg.type);
      return this.expression(arg);
    }) as [Evaluate, Evaluate];
    return (c) => {
      const value = operand(c);
      const old = from(c);
      const replacement = to(c);
      if (typeof value !== "string" || typeof old !== "string" || typeof replacement !== "string" || old === "") return notCompiled();
      return value.split(old).join(replacement);
    };
  }
}

/**
 * Compiles a parsed template (`Template.parsed`): the function renders it, or throws
 * `NOT_COMPILED` for a value it leaves to the library. Undefined: the template uses something
 * not compiled. `deferred`: names the caller adds to every render (macros), left to the library
 * when the context does not name them itself.
 */
export function compileTemplate(program: unknown, deferred: ReadonlySet<string>): CompiledTemplate | undefined {
  const root = program as JinjaNode;
  if (root.type !== "Program" || !Array.isArray(root.body)) return undefined;
  const compiler = new Compiler(deferred);
  try {
    const parts = root.body.map((statement) => compiler.expression(statement));
    if (parts.length === 1) {
      const only = parts[0]!;
      return (c) => text(only(c));
    }
    return (c) => {
      let out = "";
      for (const part of parts) out += text(part(c));
      return out;
    };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
