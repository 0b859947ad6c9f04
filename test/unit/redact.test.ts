/**
 * The redactor's matcher (src/protocol/redact.ts), form by form: every encoding a server or the
 * connector's own JSON may give a secret (raw, JSON-escaped, `\uXXXX`, URL- and form-encoded,
 * URL-encoded JSON, base64 and base64url at each byte alignment, padded or not), tokens added at
 * run time, and text that only resembles a secret (a shared prefix, the base64 of another string),
 * which stays as it is.
 */
import { describe, expect, it } from "vitest";
import { Redactor, base64Cores } from "../../src/protocol/redact.js";

const MASK = "**********";
/** Token-shaped, assembled at run time (no token-like literal in the repository), with `/` and `:`. */
const TOKEN = `${["2", "1209876543210001", "1209876543299002"].join("/")}:${"5b4a39281706f5e4"}${"d3c2b1a09f8e7d6c"}`;

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const b64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");
const unicodeEscaped = (text: string): string => Array.from(text, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
const upperUnicodeEscaped = (text: string): string => unicodeEscaped(text).replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`);

function redactorOf(...values: string[]): Redactor {
  const r = new Redactor();
  for (const value of values) r.add(value);
  return r;
}

/** The text around the secret is kept as it is; nothing of the secret's own characters survives. */
function expectMasked(r: Redactor, form: string, secretText = TOKEN): void {
  const out = r.redact(`before ${form} after`);
  expect(out, form).toContain(MASK);
  expect(out.startsWith("before "), form).toBe(true);
  expect(out.endsWith(" after"), form).toBe(true);
  // Long enough pieces of the secret (or its encodings) do not survive next to the mask.
  expect(out.includes(secretText.slice(0, 12))).toBe(false);
}

describe("raw, JSON and URL forms", () => {
  const r = redactorOf(TOKEN);
  const forms: Array<[string, string]> = [
    ["raw", TOKEN],
    ["JSON-escaped", JSON.stringify(TOKEN).slice(1, -1)],
    ["JSON-escaped twice (a message holding JSON, in a JSON line)", JSON.stringify(JSON.stringify(TOKEN)).slice(1, -1)],
    ["escaped slashes", TOKEN.replace(/\//g, "\\/")],
    ["\\u002f for /", TOKEN.replace(/\//g, "\\u002f")],
    ["\\u002F for / inside a JSON line", JSON.stringify(TOKEN.replace(/\//g, "\\u002F")).slice(1, -1)],
    ["\\uXXXX of every character", unicodeEscaped(TOKEN)],
    ["\\uXXXX of every character, upper-case hex", upperUnicodeEscaped(TOKEN)],
    ["URL-encoded", encodeURIComponent(TOKEN)],
    ["URL-encoded, lower-case hex", encodeURIComponent(TOKEN).toLowerCase().replace(/[a-f0-9]{16,}/, (hex) => hex)],
    ["URL-encoded twice", encodeURIComponent(encodeURIComponent(TOKEN))],
    ["URL-encoded JSON (\\u002f, then URL-encoded)", encodeURIComponent(TOKEN.replace(/\//g, "\\u002f"))],
    ["URL-encoded JSON escapes of every character", encodeURIComponent(unicodeEscaped(TOKEN))],
    ["form-encoded", new URLSearchParams({ v: TOKEN }).toString().slice(2)],
  ];
  for (const [name, form] of forms) it(name, () => expectMasked(r, form));

  it("quotes and backslashes, escaped once, twice, or URL-encoded", () => {
    const secret = `q"uo\\te-${"7f3a9c1e5b"}`;
    const q = redactorOf(secret);
    for (const form of [
      secret,
      JSON.stringify(secret).slice(1, -1),
      JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1),
      encodeURIComponent(secret),
      encodeURIComponent(JSON.stringify(secret).slice(1, -1)),
      unicodeEscaped(secret),
    ]) {
      expect(q.redact(`<${form}>`), form).toBe(`<${MASK}>`);
    }
  });

  it("spaces, form-encoded as + and as %20", () => {
    const secret = `pass phrase ${"d41c"}`;
    const s = redactorOf(secret);
    for (const form of [secret, secret.replace(/ /g, "+"), encodeURIComponent(secret), secret.replace(/ /g, "%20")]) {
      expect(s.redact(`[${form}]`), form).toBe(`[${MASK}]`);
    }
  });

  it("a secret outside ASCII, raw, \\u-escaped and URL-encoded (UTF-8)", () => {
    const secret = `clé-secrète-${"93ab"}`;
    const s = redactorOf(secret);
    for (const form of [secret, unicodeEscaped(secret), encodeURIComponent(secret), b64(secret)]) {
      expect(s.redact(`[${form}]`), form).not.toContain("cl");
    }
  });

  it("a secret trimmed, and a secret containing another, masked whole", () => {
    const s = redactorOf(`  ${TOKEN}  `, TOKEN.slice(0, 20));
    expect(s.redact(`x ${TOKEN} y`)).toBe(`x ${MASK} y`);
    expect(s.redact(`x ${TOKEN.slice(0, 20)} y`)).toBe(`x ${MASK} y`);
  });
});

describe("base64 and base64url", () => {
  const r = redactorOf(TOKEN);

  it("the cores are the base64 text of the secret at each byte alignment, without the neighbours' characters", () => {
    const cores = base64Cores(TOKEN);
    expect(cores).toHaveLength(3);
    for (const before of ["", "x", "xy", "Bearer ", "user:"]) {
      for (const after of ["", "z", "zw"]) {
        const text = b64(`${before}${TOKEN}${after}`);
        expect(cores.some((core) => text.includes(core)), `${before}|${after}`).toBe(true);
      }
    }
  });

  for (const [name, encode] of [["base64", b64], ["base64url", b64url]] as const) {
    for (const before of ["", "x", "xy"]) {
      it(`${name} after ${before.length} other byte(s), padded and not`, () => {
        const encoded = encode(`${before}${TOKEN}`);
        for (const form of [encoded, encoded.replace(/=+$/, ""), encode(`${before}${TOKEN}!`)]) {
          const out = r.redact(`"${form}"`);
          expect(out, form).toContain(MASK);
          // What survives is at most the neighbours' characters: 3 before, 1 after, and padding.
          expect(out.replace(/[*"]/g, "").length, form).toBeLessThanOrEqual(3 + 3 + 2);
        }
      });
    }
  }

  it("HTTP Basic credentials (the secret after `user:`), in a JSON line with escaped slashes and URL-encoded", () => {
    const basic = b64(`client-id:${TOKEN}`);
    for (const form of [basic, basic.replace(/\//g, "\\/"), encodeURIComponent(basic), JSON.stringify(JSON.stringify(`Basic ${basic}`))]) {
      expect(r.redact(form), form).toContain(MASK);
    }
  });
});

describe("tokens registered at run time", () => {
  it("rebuilds the matcher when a secret is added", () => {
    const r = redactorOf(TOKEN);
    const issued = `sim-oauth-${"0123456789abcdef0123456789abcdef"}`;
    expect(r.redact(issued)).toBe(issued);
    r.add(issued);
    expect(r.redact(`a ${issued} b ${b64(issued)} c`)).toMatch(/^a \*{10} b [A-Za-z0-9+/=]{0,3}\*{10}[A-Za-z0-9+/=]{0,3} c$/);
    expect(r.redact(TOKEN)).toBe(MASK);
  });
});

describe("innocent text", () => {
  const r = redactorOf(TOKEN);

  it("sharing a prefix, or all but the last character, stays as it is", () => {
    for (const text of [TOKEN.slice(0, -1), `${TOKEN.slice(0, -1)}X`, TOKEN.slice(0, 30), encodeURIComponent(TOKEN.slice(0, -2)), `2/1209876543210001/1209876543299003:x`]) {
      expect(r.redact(`[${text}]`)).toBe(`[${text}]`);
    }
  });

  it("the base64 of other text, escapes and percent signs stay as they are", () => {
    const texts = [
      b64("2/1209876543210001/1209876543299002"),
      b64(`${TOKEN.slice(0, 30)}zzzzzzzzzzzz`).slice(0, 30),
      'a \\"quoted\\" C:\\\\path 100% done, %41%42 \\u0041 \\\\u0042 %5Cu0043',
      JSON.stringify({ notes: "line\nnext\ttab \u00e9 \u2013 /a/b?c=%20" }),
    ];
    for (const text of texts) expect(r.redact(text)).toBe(text);
  });

  it("no secret: the line itself", () => {
    const line = JSON.stringify({ a: "x\\y %2F" });
    expect(new Redactor().redact(line)).toBe(line);
  });
});
