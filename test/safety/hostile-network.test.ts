/**
 * Hostile networks and unsendable inputs, through the built CLI (`read` of workspaces) against a
 * scripted server on 127.0.0.1: each must end at once with the right failure type and a message
 * that says what to fix, never a long wait or a round of retries. Counts the requests each caused.
 * The HTTP client's own deadlines are tested in test/http/deadlines.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { traceErrors } from "../helpers/acceptance.js";
import { catalogFor, patConfig, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type FakeApi, json, startFakeApi } from "../helpers/fake-api.js";

let api: FakeApi;
let elsewhere: FakeApi;

beforeAll(async () => {
  [api, elsewhere] = await Promise.all([startFakeApi(), startFakeApi()]);
});

afterAll(async () => {
  await Promise.all([api.close(), elsewhere.close()]);
});

/** Runs `read` of workspaces with `config`; returns its first error trace. */
async function readWorkspaces(config: Record<string, unknown>) {
  const dir = tempDir();
  const result = await runAirbyte(
    ["read", "--config", writeJson(dir, "config.json", config), "--catalog", writeJson(dir, "catalog.json", catalogFor(["workspaces"]))],
    60_000,
  );
  const errors = traceErrors(result.messages).map((m) => m.trace!.error as { message: string; failure_type: string });
  expect(errors.length, result.stderr).toBeGreaterThan(0);
  return errors[0]!;
}

const requestsUnder = (server: FakeApi, prefix: string) => server.requests().filter((r) => r.url.startsWith(prefix));

describe("hostile network, through the CLI", () => {
  it.each([
    ["a zero-width space", "0/abc\u200bdef", "U+200B at position 6"],
    ["a character beyond Latin-1", "0/abc\u0142def", "U+0142 at position 6"],
  ])("a token with %s: a config_error naming the field, no request sent", async (_name, token, where) => {
    const error = await readWorkspaces(patConfig(`${api.origin}/token-${where.slice(2, 6)}/api/1.0`, token));
    expect(error.failure_type).toBe("config_error");
    expect(error.message).toContain("(credentials.personal_access_token) contains a character an HTTP header cannot carry");
    expect(error.message).toContain(where);
    expect(requestsUnder(api, `/token-${where.slice(2, 6)}/`)).toHaveLength(0);
  });

  it("a redirect: a config_error naming the Location; the token does not follow it", async () => {
    const location = `${elsewhere.origin}/moved/api/1.0/workspaces`;
    api.setRoutes([{ path: "/redirect/", answer: { status: 302, body: "", headers: { location } } }]);
    const error = await readWorkspaces(patConfig(`${api.origin}/redirect/api/1.0`, "0/redirect-token"));
    expect(error.failure_type).toBe("config_error");
    expect(error.message).toContain(`The base URL is wrong: the server redirects to ${location}`);
    expect(requestsUnder(api, "/redirect/")).toHaveLength(1);
    expect(elsewhere.requests()).toHaveLength(0);
  });

  it("https to a port that speaks plain http: a config_error at once, without OpenSSL's words", async () => {
    const origin = api.origin.replace("http://", "https://");
    const error = await readWorkspaces(patConfig(`${origin}/tls/api/1.0`, "0/tls-token"));
    expect(error.failure_type).toBe("config_error");
    expect(error.message).toContain(`TLS handshake failed: the server at ${origin.slice("https://".length)} does not speak HTTPS; check base_url`);
    expect(error.message).not.toMatch(/SSL|ssl3|0A00010B/);
    expect(requestsUnder(api, "/tls/")).toHaveLength(0);
  });

  it("a 429 asking for 999999 s: a transient_error naming the wait, after one request", async () => {
    api.setRoutes([{ path: "/limited/", answer: json(429, { errors: [{ message: "Rate limited" }] }, { "retry-after": "999999" }) }]);
    const error = await readWorkspaces(patConfig(`${api.origin}/limited/api/1.0`, "0/limited-token"));
    expect(error.failure_type).toBe("transient_error");
    expect(error.message).toMatch(/asked to wait 999999 s \(11\.6 days\)/);
    expect(error.message).toContain("(300 s (5.0 minutes), the max_retry_after_seconds setting)");
    expect(requestsUnder(api, "/limited/")).toHaveLength(1);
  });

  it("max_retry_after_seconds is the user's cap", async () => {
    api.setRoutes([{ path: "/capped/", answer: json(429, { errors: [{ message: "Rate limited" }] }, { "retry-after": "3" }) }]);
    const error = await readWorkspaces(patConfig(`${api.origin}/capped/api/1.0`, "0/capped-token", { max_retry_after_seconds: 2 }));
    expect(error.failure_type).toBe("transient_error");
    expect(error.message).toMatch(/asked to wait 3 s .*\(2 s, the max_retry_after_seconds setting\)/);
    expect(requestsUnder(api, "/capped/")).toHaveLength(1);
  });
});
