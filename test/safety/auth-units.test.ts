/**
 * In-process checks of the authentication pieces: the OAuth authenticator's refresh rules
 * (single-flight, before expiry, once per 401, refusals remembered), the redactor's forms of a
 * secret, JSON syntax errors that never quote the file, and field names in missing-secret errors.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildAuthenticator, configFieldOf } from "../../src/declarative/authenticator.js";
import { jsonProblem, validateConfig } from "../../src/cli/inputs.js";
import { loadSpec } from "../../src/cli/runtime.js";
import { ConnectorError } from "../../src/errors.js";
import { Redactor, secrets } from "../../src/protocol/redact.js";
import { type FakeApi, json, startFakeApi } from "../helpers/fake-api.js";

const OAUTH_NODE = (endpoint: string) => ({
  type: "OAuthAuthenticator",
  client_id: "{{ config['credentials']['client_id'] }}",
  client_secret: "{{ config['credentials']['client_secret'] }}",
  refresh_token: "{{ config['credentials']['refresh_token'] }}",
  token_refresh_endpoint: endpoint,
  grant_type: "refresh_token",
});
const CONFIG = {
  credentials: { client_id: "unit-client-id-1", client_secret: "unit-client-secret-1", refresh_token: "unit-refresh-token-1" },
  _backoff_base_seconds: 0.01,
};

describe("OAuthAuthenticator", () => {
  let api: FakeApi;
  let n = 0;
  let ttl = 3600;
  let flakyDown = false;
  beforeAll(async () => {
    const issue = () => json(200, { access_token: `unit-access-${++n}`, expires_in: ttl });
    api = await startFakeApi([
      // A slow endpoint, so concurrent callers overlap the refresh.
      { method: "POST", path: "/ok", answer: issue },
      { method: "POST", path: "/grant", answer: json(400, { error: "invalid_grant", error_description: "revoked" }) },
      { method: "POST", path: "/down", answer: json(503, { error: "temporarily_unavailable" }) },
      { method: "POST", path: "/flaky", answer: () => (flakyDown ? json(503, { error: "temporarily_unavailable" }) : issue()) },
    ]);
  });
  afterAll(async () => {
    await api?.close();
  });

  const tokenRequests = (path: string) => api.requests().filter((r) => r.url === path).length;
  // Each test its own endpoint path, so the process-wide sharing of authenticators keeps them apart.
  const build = (path: string) => buildAuthenticator(OAUTH_NODE(`${api.origin}${path}`), "auth", CONFIG);

  it("is shared by every requester with the same endpoint and credentials", () => {
    expect(build("/ok/shared")).toBe(build("/ok/shared"));
    expect(build("/ok/shared")).not.toBe(build("/ok/other"));
  });

  it("gets one token for many concurrent requests, and registers it as a secret", async () => {
    const auth = build("/ok/a");
    const headers = await Promise.all(Array.from({ length: 20 }, () => auth.headers()));
    expect(new Set(headers.map((h) => h.Authorization)).size).toBe(1);
    expect(tokenRequests("/ok/a")).toBe(1);
    const token = headers[0]!.Authorization!.slice("Bearer ".length);
    expect(secrets.redact(`x ${token} y`)).toBe("x ********** y");
    expect(api.requests().find((r) => r.url === "/ok/a")!.body).toBe(
      "grant_type=refresh_token&client_id=unit-client-id-1&client_secret=unit-client-secret-1&refresh_token=unit-refresh-token-1",
    );
  });

  it("refreshes once for a burst of 401s, and not for a 401 on a token already replaced", async () => {
    const auth = build("/ok/b");
    const stale = await auth.headers();
    // Ten requests carrying the same token come back 401 together: one refresh.
    await Promise.all(Array.from({ length: 10 }, () => auth.refreshAfterUnauthorized(stale)));
    expect(tokenRequests("/ok/b")).toBe(2);
    const fresh = await auth.headers();
    expect(fresh.Authorization).not.toBe(stale.Authorization);
    // A late 401 for the old token: retry with the new one, no refresh.
    expect(await auth.refreshAfterUnauthorized(stale)).toBe(true);
    expect(tokenRequests("/ok/b")).toBe(2);
    // A 401 for the current token: refresh.
    await auth.refreshAfterUnauthorized(fresh);
    expect(tokenRequests("/ok/b")).toBe(3);
  });

  it("without knowing the token of the failed request, a 401 still refreshes the token in use", async () => {
    const auth = build("/ok/c");
    await auth.headers();
    await auth.refreshAfterUnauthorized();
    expect(tokenRequests("/ok/c")).toBe(2);
    // The replacement has not been handed out yet: a further 401 answered a request with the old one.
    await auth.refreshAfterUnauthorized();
    expect(tokenRequests("/ok/c")).toBe(2);
  });

  it("refreshes a short-lived token a quarter of its life early, not on every request", async () => {
    ttl = 1;
    try {
      const auth = build("/ok/d");
      await auth.headers();
      for (let i = 0; i < 20; i++) await auth.headers();
      expect(tokenRequests("/ok/d")).toBe(1);
      await new Promise((r) => setTimeout(r, 800));
      await auth.headers();
      await auth.headers();
      expect(tokenRequests("/ok/d")).toBe(2);
    } finally {
      ttl = 3600;
    }
  });

  it("remembers a refusal: one token request, the same config_error every time", async () => {
    const auth = build("/grant/e");
    const errors: unknown[] = [];
    for (let i = 0; i < 5; i++) await auth.headers().catch((e: unknown) => errors.push(e));
    await auth.refreshAfterUnauthorized().catch((e: unknown) => errors.push(e));
    expect(errors).toHaveLength(6);
    for (const e of errors) {
      expect(e).toBeInstanceOf(ConnectorError);
      expect((e as ConnectorError).failureType).toBe("config_error");
      expect((e as ConnectorError).message).toMatch(/credentials\.refresh_token is invalid, expired or revoked/);
    }
    expect(tokenRequests("/grant/e")).toBe(1);
  });

  it("retries an unavailable endpoint a bounded number of times, as a transient_error", async () => {
    const auth = build("/down/f");
    await expect(auth.headers()).rejects.toMatchObject({ failureType: "transient_error", message: expect.stringMatching(/failed 3 times \(HTTP 503 \(temporarily_unavailable\)\)/) });
    expect(tokenRequests("/down/f")).toBe(3);
  });

  it("keeps using a still-valid token when the early refresh fails transiently, and tries again later", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const auth = build("/flaky/h");
      const first = await auth.headers();
      expect(tokenRequests("/flaky/h")).toBe(1);
      flakyDown = true;
      // 55 minutes later: past the early-refresh point, 5 minutes before expiry.
      vi.setSystemTime(Date.now() + 55 * 60_000);
      expect(await auth.headers()).toEqual(first);
      expect(tokenRequests("/flaky/h")).toBe(4);
      expect(await auth.headers()).toEqual(first);
      expect(tokenRequests("/flaky/h"), "no new attempt right away").toBe(4);
      flakyDown = false;
      vi.setSystemTime(Date.now() + 31_000);
      const next = await auth.headers();
      expect(next).not.toEqual(first);
      expect(tokenRequests("/flaky/h")).toBe(5);
      // Past its expiry a token is not used: the failure surfaces.
      flakyDown = true;
      vi.setSystemTime(Date.now() + 3600_000);
      await expect(auth.headers()).rejects.toMatchObject({ failureType: "transient_error" });
    } finally {
      flakyDown = false;
      vi.useRealTimers();
    }
  });

  it("names the config fields the manifest's templates read, whatever they are", async () => {
    const node = {
      ...OAUTH_NODE(`${api.origin}/grant/fields`),
      client_id: "{{ config.oauth.id }}",
      client_secret: "{{ config['oauth']['secret'] }}",
      refresh_token: "{{ config.get('oauth').get('refresh') }}",
    };
    const config = { oauth: { id: "unit-client-id-2", secret: "unit-client-secret-2", refresh: "unit-refresh-token-2" } };
    await expect(buildAuthenticator(node, "auth", config).headers()).rejects.toMatchObject({
      failureType: "config_error",
      message: expect.stringMatching(/: oauth\.refresh is invalid, expired or revoked/),
    });
    expect(() => buildAuthenticator(node, "auth", { oauth: { ...config.oauth, secret: "" } })).toThrow(/The OAuth client secret \(oauth\.secret\) is missing/);
  });

  it("names a missing credential by its config field", () => {
    expect(() =>
      buildAuthenticator(OAUTH_NODE(`${api.origin}/ok/g`), "auth", { credentials: { ...CONFIG.credentials, client_secret: " " } }),
    ).toThrow(/credentials\.client_secret/);
  });
});

describe("Redactor", () => {
  it("masks a secret raw, trimmed, JSON-escaped, URL- and form-encoded", () => {
    const r = new Redactor();
    // Token-shaped (assembled, so no token-like literal is committed), with characters every encoding changes.
    const secret = `${["2", "123", "456"].join("/")}:ab"c+d e`;
    r.add(`  ${secret}  `);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), "2%2F123%2F456%3Aab%22c%2Bd+e"]) {
      expect(r.redact(`[${form}]`)).toBe("[**********]");
    }
  });

  it("registers the secrets of a config by airbyte_secret and by key name", () => {
    const r = new Redactor();
    r.addFromConfig(
      { credentials: { option_title: "PAT Credentials", personal_access_token: "abcd-1234" }, my_api_key: "key-5678", name: "visible" },
      { properties: { credentials: { oneOf: [{ properties: { personal_access_token: { airbyte_secret: true } } }] } } },
    );
    expect(r.redact("abcd-1234 key-5678 visible PAT Credentials")).toBe("********** ********** visible PAT Credentials");
  });
});

describe("JSON syntax errors", () => {
  const secret = "s3cr3t-t0k3n-9f8e7d6c5b4a";
  const cases = [
    `{"token": ${secret}}`,
    `{"token": "${secret}" "x": 1}`,
    `{"token": "${secret}"}x`,
    `{\n  "a": 1,\n  "token": "${secret}",\n}`,
    `{"token": "${secret}`,
    `{"token": "${secret}\u0001"}`,
    `["${secret}", ${secret.slice(0, 8)}]`,
  ];
  for (const text of cases) {
    it(`describes ${JSON.stringify(text.slice(0, 24))}... with a position and without the text`, () => {
      let error: unknown;
      try {
        JSON.parse(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeDefined();
      const problem = jsonProblem(text, error);
      expect(problem).toMatch(/ at line \d+, column \d+$|^Unexpected end of JSON input/);
      for (let i = 0; i + 4 <= secret.length; i++) expect(problem).not.toContain(secret.slice(i, i + 4));
    });
  }

  it("points at the right place", () => {
    expect(jsonProblem('{"a": 1,\n "b": tru}', new SyntaxError("x"))).toBe("x at line 2, column 7");
    expect(jsonProblem("[1, 2", new SyntaxError("Unexpected end of JSON input"))).toBe("Unexpected end of JSON input at line 1, column 6");
  });
});

describe("configFieldOf", () => {
  it("reads the config path of a template", () => {
    expect(configFieldOf("{{ config['credentials']['personal_access_token'] }}")).toBe("credentials.personal_access_token");
    expect(configFieldOf('{{ config.credentials.token }}')).toBe("credentials.token");
    expect(configFieldOf("{{ config.get('api_key') }}")).toBe("api_key");
    expect(configFieldOf("{{ 'x' }}")).toBeUndefined();
  });
});

describe("base_url", () => {
  const { spec } = loadSpec(undefined);
  const check = (baseUrl: string) => () =>
    validateConfig({ credentials: { option_title: "PAT Credentials", personal_access_token: "abcd-1234" }, base_url: baseUrl }, spec.connectionSpecification);

  it.each([
    "https://app.asana.com/api/1.0",
    "https://proxy.example.com:8443/asana/api/1.0",
    "http://127.0.0.1:8765/api/1.0",
    "http://127.0.0.2/api/1.0",
    "http://localhost:3000/api/1.0",
    "http://[::1]:3000/api/1.0",
  ])("accepts %s", (url) => {
    expect(check(url)).not.toThrow();
  });

  it.each([
    "http://app.asana.com/api/1.0",
    "http://10.0.0.1/api/1.0",
    "http://localhost.example.com/api/1.0",
    "http://127.0.0.1.example.com/api/1.0",
    "https://user:password@app.asana.com/api/1.0",
    "https://app.asana.com/api/1.0?token=abc",
    "ftp://app.asana.com/api/1.0",
    "app.asana.com/api/1.0",
  ])("rejects %s, naming base_url", (url) => {
    expect(check(url)).toThrow(/^The config is invalid: base_url must be an https:\/\/ URL, or http:\/\/ on a loopback address only/);
  });
});
