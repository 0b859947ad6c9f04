/**
 * Secrets echoed encoded never leave the connector: a server that repeats the token it received
 * base64- and base64url-encoded (alone, after `Bearer `, after `user:`, padded or not),
 * JSON-escaped (`\u002f`, every character `\uXXXX`, nested JSON) and URL-encoded JSON, in a 200
 * record and in error bodies, for a personal access token and for the OAuth access tokens the
 * token endpoint issues (registered at run time). Both CLIs: the Airbyte source's TRACE `message`
 * and `internal_message`, its LOG messages and stderr, and the tap's stdout and stderr.
 *
 * runAirbyte and runTap scan every output for every form (helpers/secrets.ts); this file also
 * checks that the forms were really served, and that the mask shows where they were.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AirbyteMessage, catalogFor, credentialsConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type FakeAnswer, type FakeApi, html, startFakeApi } from "../helpers/fake-api.js";
import { NEW_FORMAT_PAT, TEST_OAUTH, secretLeaks } from "../helpers/secrets.js";
import { runTap } from "../helpers/singer.js";

const MASK = "**********";
const dir = tempDir("source-asana-encoded-secrets-");

const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const b64url = (text: string): string => Buffer.from(text, "utf8").toString("base64url");
const unicodeEscaped = (text: string): string => Array.from(text, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");

/** The token of a request's `Authorization: Bearer ...`. */
const tokenOf = (req: IncomingMessage): string => (req.headers.authorization ?? "").replace(/^Bearer /, "");

/** The token in every form a server might echo it, as JSON string contents (the body's own escapes). */
function echoedForms(token: string): string[] {
  return [
    b64(token),
    b64(`Bearer ${token}`),
    b64(`user:${token}`),
    b64url(token),
    b64url(`x${token}`).replace(/=+$/, ""),
    token.replace(/\//g, "\\u002f"),
    unicodeEscaped(token),
    // A message holding JSON (escaped once more as this body is JSON).
    JSON.stringify(JSON.stringify({ token })).slice(1, -1),
    encodeURIComponent(JSON.stringify({ token }).replace(/\//g, "\\/")),
  ];
}

/** A JSON body written by hand, so its escapes (`\u002f`) are the server's, not JSON.stringify's. */
const rawJson = (status: number, body: string): FakeAnswer => ({ status, body, headers: { "content-type": "application/json" } });

function records(req: IncomingMessage): FakeAnswer {
  const data = echoedForms(tokenOf(req)).map((form, i) => `{"gid":"${i + 1}","name":"${form}"}`);
  return rawJson(200, `{"data":[${data.join(",")}],"next_page":null}`);
}

function refusal(req: IncomingMessage): FakeAnswer {
  const messages = echoedForms(tokenOf(req)).map((form) => `{"message":"Token not allowed: ${form}","help":"${form}"}`);
  return rawJson(400, `{"errors":[${messages.join(",")}]}`);
}

let fake: FakeApi;
const issued: string[] = [];

beforeAll(async () => {
  fake = await startFakeApi([
    {
      method: "POST",
      path: "/enc/-/oauth_token",
      answer: () => {
        const token = `sim-oauth-${randomBytes(16).toString("hex")}`;
        issued.push(token);
        return rawJson(200, JSON.stringify({ access_token: token, expires_in: 3600, token_type: "bearer" }));
      },
    },
    { path: "/enc/api/1.0/workspaces", answer: records },
    { path: "/enc/api/1.0/users", answer: (req) => html(500, `<pre>${echoedForms(tokenOf(req)).join("\n")}</pre>`) },
    { path: "/enc/api/1.0/", answer: refusal },
  ]);
});

afterAll(async () => {
  await fake?.close();
});

const CREDENTIALS = {
  PAT: { option_title: "PAT Credentials", personal_access_token: NEW_FORMAT_PAT },
  OAuth: { option_title: "OAuth Credentials", client_id: TEST_OAUTH.clientId, client_secret: TEST_OAUTH.clientSecret, refresh_token: TEST_OAUTH.refreshToken },
};

const configOf = (credentials: unknown) => credentialsConfig(`${fake.origin}/enc/api/1.0`, credentials, { num_workers: 2 });

function errorTexts(messages: AirbyteMessage[]): string[] {
  return messages.flatMap((m) => (m.trace?.error ? [m.trace.error.message, m.trace.error.internal_message ?? ""] : m.log ? [m.log.message] : []));
}

describe.concurrent("a server echoing the token encoded", () => {
  for (const [kind, credentials] of Object.entries(CREDENTIALS)) {
    it(`${kind}: the source masks every form in records, TRACE messages, logs and stderr`, async () => {
      const config = writeJson(dir, `airbyte-${kind}.json`, configOf(credentials));
      const catalog = writeJson(dir, `catalog-${kind}.json`, catalogFor(["workspaces", "users", "projects"]));
      // runAirbyte rejects when an output holds a test secret (or an issued token) in any form.
      const result = await runAirbyte(["read", "--config", config, "--catalog", catalog], 60_000);
      expect(result.code).toBe(1);
      const names = recordsOf(result.messages, "workspaces").map((r) => String(r.name));
      expect(names.length).toBe(echoedForms("x").length);
      for (const name of names) expect(name, "each echoed form holds the mask").toContain(MASK);
      const errors = errorTexts(result.messages).join("\n");
      expect(errors).toContain(MASK);
      expect(secretLeaks(result.lines.join("\n"))).toEqual([]);
      expect(secretLeaks(result.stderr)).toEqual([]);
      if (kind === "OAuth") {
        expect(issued.length, "the token endpoint issued access tokens").toBeGreaterThan(0);
        for (const token of issued) for (const form of echoedForms(token)) expect(result.lines.join("\n")).not.toContain(form);
      }
    });

    it(`${kind}: the tap masks every form on stdout and stderr`, async () => {
      const config = writeJson(dir, `tap-${kind}.json`, configOf(credentials));
      // runTap rejects when an output holds a test secret in any form.
      const result = await runTap(["--config", config], 60_000);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(MASK);
      expect(result.stderr).toContain(MASK);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(secretLeaks(result.stdout)).toEqual([]);
      expect(secretLeaks(result.stderr)).toEqual([]);
    });
  }
});

describe("the scan of helpers/secrets.ts", () => {
  it("finds every form a server echoes, so a leak in any of them fails the suite", () => {
    const token = `sim-oauth-${randomBytes(16).toString("hex")}`;
    for (const form of [...echoedForms(NEW_FORMAT_PAT), JSON.stringify(JSON.stringify(NEW_FORMAT_PAT))]) {
      expect(secretLeaks(`{"name":"${form}"}`), form).not.toEqual([]);
    }
    for (const form of echoedForms(token)) expect(secretLeaks(`{"name":"${form}"}`), form).not.toEqual([]);
    expect(secretLeaks(`{"name":"${MASK}","b64":"${b64("nothing secret here")}"}`)).toEqual([]);
  });
});
