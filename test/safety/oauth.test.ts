/**
 * Authentication against the simulator: OAuth syncs survive access-token expiry mid-sync
 * with the exact ground truth and a bounded number of token requests (refresh before expiry, once
 * per 401, never in a loop); a wrong refresh token or client secret is a clear config_error; a
 * service-account token syncs like a personal access token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN, type Simulator, type StreamName, startSimulator } from "../../integration_tests/simulator/index.js";
import { type AirbyteMessage, type CliResult, catalogFor, credentialsConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type FakeApi, json, startFakeApi } from "../helpers/fake-api.js";
import { SERVICE_ACCOUNT_TOKEN, TEST_OAUTH, WRONG_CLIENT_SECRET, WRONG_REFRESH_TOKEN } from "../helpers/secrets.js";

const SLICE: StreamName[] = ["workspaces", "users", "projects", "sections", "tasks"];

const dir = tempDir("source-asana-auth-");

function oauthConfig(baseUrl: string, credentials: Partial<Record<"client_id" | "client_secret" | "refresh_token", string>> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const oauth = { option_title: "OAuth Credentials", client_id: TEST_OAUTH.clientId, client_secret: TEST_OAUTH.clientSecret, refresh_token: TEST_OAUTH.refreshToken };
  return credentialsConfig(baseUrl, { ...oauth, ...credentials }, extra);
}

let files = 0;
async function read(config: unknown, streams: readonly string[] = SLICE, during?: () => void): Promise<CliResult> {
  const n = ++files;
  const configPath = writeJson(dir, `config-${n}.json`, config);
  const catalogPath = writeJson(dir, `catalog-${n}.json`, catalogFor([...streams]));
  const running = runAirbyte(["read", "--config", configPath, "--catalog", catalogPath], 45_000);
  during?.();
  return running;
}

async function check(config: unknown): Promise<CliResult> {
  return runAirbyte(["check", "--config", writeJson(dir, `check-${++files}.json`, config)], 30_000);
}

const errorsOf = (messages: AirbyteMessage[]) =>
  messages.filter((m) => m.type === "TRACE" && m.trace!.type === "ERROR").map((m) => m.trace!.error!);

const byGid = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => String(a.gid).localeCompare(String(b.gid)));

function expectGroundTruth(result: CliResult, sim: Simulator, streams: readonly StreamName[] = SLICE): void {
  expect(errorsOf(result.messages)).toEqual([]);
  expect(result.code).toBe(0);
  for (const stream of streams) {
    const actual = recordsOf(result.messages, stream);
    const expected = [...sim.dataset.groundTruth(stream)];
    expect(expected.length, `${stream} has ground truth`).toBeGreaterThan(0);
    expect(new Set(actual.map((r) => r.gid)).size, `${stream}: no duplicates`).toBe(actual.length);
    expect(byGid(actual), `${stream} equals the ground truth`).toEqual(byGid(expected));
  }
}

describe("OAuth against the simulator", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 11, size: "small", oauth: { ...TEST_OAUTH, accessTokenTtlSeconds: 3600 } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  it("syncs with one token request for every stream (one token shared by all requesters)", async () => {
    sim.configure({ latencyMs: 0, oauth: { ...TEST_OAUTH, accessTokenTtlSeconds: 3600 } });
    sim.resetStats();
    const result = await read(oauthConfig(sim.baseUrl));
    expectGroundTruth(result, sim);
    expect(sim.stats().tokenRequests).toBe(1);
    expect(sim.stats().byStatus["401"] ?? 0).toBe(0);
  });

  it("survives the access token expiring mid-sync: one refresh after the 401s, exact records", async () => {
    sim.configure({ latencyMs: 25, oauth: { ...TEST_OAUTH, accessTokenTtlSeconds: 3600 } });
    sim.resetStats();
    let expiredAt = -1;
    // Expire every issued token once the sync is well under way (a bounded poll on the stats).
    const result = await read(oauthConfig(sim.baseUrl), SLICE, () => {
      const started = Date.now();
      const poll = setInterval(() => {
        const total = sim.stats().total;
        if (total >= 6) {
          sim.expireAccessTokens();
          expiredAt = total;
          clearInterval(poll);
        } else if (Date.now() - started > 30_000) clearInterval(poll);
      }, 2);
    });
    const stats = sim.stats();
    sim.configure({ latencyMs: 0 });
    expect(expiredAt, "the tokens were expired during the read").toBeGreaterThan(0);
    expect(stats.total, "requests were made after the expiry").toBeGreaterThan(expiredAt);
    expect(stats.byStatus["401"] ?? 0, "the API answered 401 to the expired token").toBeGreaterThan(0);
    expectGroundTruth(result, sim);
    // The first token, then exactly one refresh for all the 401s of the requests in flight.
    expect(stats.tokenRequests).toBe(2);
  });

  it("refreshes before expiry when access tokens are short-lived, without a 401 and without a refresh loop", async () => {
    sim.configure({ latencyMs: 150, oauth: { ...TEST_OAUTH, accessTokenTtlSeconds: 1 } });
    sim.resetStats();
    const started = Date.now();
    const result = await read(oauthConfig(sim.baseUrl, {}, { num_workers: 2 }));
    const elapsed = Date.now() - started;
    const stats = sim.stats();
    sim.configure({ latencyMs: 0, oauth: { ...TEST_OAUTH, accessTokenTtlSeconds: 3600 } });
    expectGroundTruth(result, sim);
    // Every request takes at least 150 ms and at most 2 are in flight, so the sync lasts at least
    // requests x 75 ms whatever the machine's load: longer than the 1 s life of a token.
    expect(stats.total * 75, "the sync outlives an access token by construction").toBeGreaterThan(1_000);
    expect(elapsed, "the sync outlived the first access token").toBeGreaterThan(1_000);
    expect(stats.byStatus["401"] ?? 0).toBe(0);
    // A token lives 1 s and is replaced after 0.75 s: about one request per 0.75 s of sync, never more.
    expect(stats.tokenRequests).toBeGreaterThanOrEqual(2);
    expect(stats.tokenRequests).toBeLessThanOrEqual(Math.ceil(elapsed / 750) + 1);
    expect(stats.tokenRequests).toBeLessThan(stats.total / 3);
  });

  it("fails with a config_error naming the refresh token when it is wrong, asking the endpoint once", async () => {
    sim.resetStats();
    const result = await read(oauthConfig(sim.baseUrl, { refresh_token: WRONG_REFRESH_TOKEN }));
    expect(result.code).toBe(1);
    const errors = errorsOf(result.messages);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.failure_type).toBe("config_error");
      expect(error.message).toMatch(/refresh token \(HTTP 400 \(invalid_grant.*credentials\.refresh_token is invalid, expired or revoked.*Re-authenticate/);
    }
    expect(sim.stats().tokenRequests, "a refusal is remembered, not asked again per stream").toBe(1);
    expect(sim.stats().total, "no API request without a token").toBe(0);

    const status = await check(oauthConfig(sim.baseUrl, { refresh_token: WRONG_REFRESH_TOKEN }));
    expect(status.code).toBe(0);
    expect(status.messages.at(-1)!.connectionStatus!.status).toBe("FAILED");
    expect(status.messages.at(-1)!.connectionStatus!.message).toMatch(/credentials\.refresh_token is invalid/);
  });

  it("fails with a config_error naming the client when the client secret is wrong", async () => {
    sim.resetStats();
    const result = await read(oauthConfig(sim.baseUrl, { client_secret: WRONG_CLIENT_SECRET }), ["workspaces", "users"]);
    expect(result.code).toBe(1);
    const errors = errorsOf(result.messages);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.failure_type).toBe("config_error");
      expect(error.message).toMatch(/OAuth client .*invalid_client.*credentials\.client_id or credentials\.client_secret is wrong/);
    }
    expect(sim.stats().tokenRequests).toBe(1);

    const status = await check(oauthConfig(sim.baseUrl, { client_secret: WRONG_CLIENT_SECRET }));
    expect(status.messages.at(-1)!.connectionStatus).toEqual({ status: "FAILED", message: expect.stringMatching(/client_secret is wrong/) });
  });

  it("check succeeds with good OAuth credentials", async () => {
    const status = await check(oauthConfig(sim.baseUrl));
    expect(status.code).toBe(0);
    expect(status.messages.at(-1)!.connectionStatus).toEqual({ status: "SUCCEEDED" });
  });
});

describe("OAuth when the API keeps rejecting the issued tokens (never a refresh loop)", () => {
  let api: FakeApi;
  let issued = 0;
  beforeAll(async () => {
    api = await startFakeApi([
      { method: "POST", path: "/-/oauth_token", answer: () => json(200, { access_token: `sim-oauth-${(++issued).toString(16).padStart(32, "0")}`, expires_in: 3600 }) },
      { path: "/api/1.0/", answer: json(401, { errors: [{ message: "Not Authorized" }] }) },
    ]);
  });
  afterAll(async () => {
    await api?.close();
  });

  it("refreshes once after the 401, retries once, then fails with the credentials config_error", async () => {
    api.reset();
    const result = await read(oauthConfig(api.baseUrl), ["workspaces"]);
    expect(result.code).toBe(1);
    const errors = errorsOf(result.messages);
    expect(errors.map((e) => e.failure_type)).toEqual(["config_error"]);
    expect(errors[0]!.message).toMatch(/401 Not Authorized/);
    const tokenRequests = api.requests().filter((r) => r.url === "/-/oauth_token").length;
    const apiRequests = api.requests().filter((r) => r.url.startsWith("/api/1.0/")).length;
    expect(tokenRequests).toBe(2);
    expect(apiRequests).toBe(2);
  });

  it("stays bounded across many streams and partitions", async () => {
    api.reset();
    const result = await read(oauthConfig(api.baseUrl), SLICE);
    expect(result.code).toBe(1);
    const tokenRequests = api.requests().filter((r) => r.url === "/-/oauth_token").length;
    const apiRequests = api.requests().filter((r) => r.url.startsWith("/api/1.0/")).length;
    expect(tokenRequests).toBeLessThanOrEqual(2);
    expect(apiRequests).toBeLessThanOrEqual(2 * SLICE.length);
  });
});

describe("Service account", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 12, size: "small", tokens: [DEFAULT_TOKEN, SERVICE_ACCOUNT_TOKEN] });
  });
  afterAll(async () => {
    await sim?.close();
  });

  const config = (baseUrl: string) => ({
    credentials: { option_title: "Service Account Credentials", service_account_token: SERVICE_ACCOUNT_TOKEN },
    base_url: baseUrl,
    requests_per_second: 500,
    max_requests_per_second: 2000,
    num_workers: 4,
  });

  it("checks and syncs exactly like a personal access token", async () => {
    const status = await check(config(sim.baseUrl));
    expect(status.messages.at(-1)!.connectionStatus).toEqual({ status: "SUCCEEDED" });
    sim.resetStats();
    const result = await read(config(sim.baseUrl));
    expectGroundTruth(result, sim);
    expect(sim.stats().tokenRequests).toBe(0);
  });

  it("a rejected service-account token is a config_error", async () => {
    const status = await check({ ...config(sim.baseUrl), credentials: { option_title: "Service Account Credentials", service_account_token: "svc-account-token-0000000000000000" } });
    expect(status.messages.at(-1)!.connectionStatus!.status).toBe("FAILED");
    expect(status.messages.at(-1)!.connectionStatus!.message).toMatch(/401 Not Authorized/);
  });
});
