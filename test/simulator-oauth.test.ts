/**
 * The simulator's OAuth token endpoint (refresh-token grant, its error answers, expiring access
 * tokens) and the echo routes that stand for a misconfigured base_url in secret-leak tests.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../integration_tests/simulator/index.js";

const OAUTH = { clientId: "sim-client", clientSecret: "sim-client-secret-123", refreshToken: "sim-refresh-token-456", accessTokenTtlSeconds: 60 };

async function grant(sim: Simulator, fields: Record<string, string>, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(sim.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const goodGrant = { grant_type: "refresh_token", client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken };

async function status(sim: Simulator, token: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sim.baseUrl}/users/me`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

describe("OAuth token endpoint", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "small", oauth: OAUTH });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("lives at /-/oauth_token on the API's origin", () => {
    expect(sim.tokenUrl).toBe(sim.baseUrl.replace("/api/1.0", "/-/oauth_token"));
  });

  it("grants a fresh bearer access token for the refresh token, with the user's data", async () => {
    const first = await grant(sim, goodGrant);
    expect(first.status).toBe(200);
    const me = sim.dataset.facts.user(0);
    expect(first.body).toEqual({
      access_token: expect.stringMatching(/^\S{20,}$/),
      expires_in: 60,
      token_type: "bearer",
      data: { id: Number(me.gid), gid: me.gid, name: me.name, email: me.email },
    });
    const second = await grant(sim, goodGrant);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    const token = first.body.access_token as string;
    expect(token).not.toBe(OAUTH.refreshToken);
    const res = await status(sim, token);
    expect(res.status).toBe(200);
    expect((res.body as { data: { gid: string } }).data.gid).toBe(me.gid);
    // The PAT keeps working alongside.
    expect((await status(sim, sim.token)).status).toBe(200);
  });

  it("accepts client credentials as HTTP Basic too, and a JSON body", async () => {
    const basic = Buffer.from(`${OAUTH.clientId}:${OAUTH.clientSecret}`).toString("base64");
    const viaBasic = await grant(sim, { grant_type: "refresh_token", refresh_token: OAUTH.refreshToken }, { headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${basic}` } });
    expect(viaBasic.status).toBe(200);
    const viaJson = await fetch(sim.tokenUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(goodGrant) });
    expect(viaJson.status).toBe(200);
  });

  it("answers invalid_client (401), invalid_grant (400) and invalid_request (400)", async () => {
    const cases: [Record<string, string>, number, string][] = [
      [{ ...goodGrant, client_id: "someone-else" }, 401, "invalid_client"],
      [{ ...goodGrant, client_secret: "wrong" }, 401, "invalid_client"],
      [{ ...goodGrant, refresh_token: "revoked" }, 400, "invalid_grant"],
      [{ ...goodGrant, grant_type: "authorization_code" }, 400, "invalid_request"],
      [{ ...goodGrant, grant_type: "" }, 400, "invalid_request"],
      [{ grant_type: "refresh_token", client_id: OAUTH.clientId, client_secret: OAUTH.clientSecret }, 400, "invalid_request"],
      [{ grant_type: "refresh_token", client_secret: OAUTH.clientSecret, refresh_token: OAUTH.refreshToken }, 400, "invalid_request"],
    ];
    for (const [fields, code, error] of cases) {
      const res = await grant(sim, fields);
      expect(res.status, JSON.stringify(fields)).toBe(code);
      expect(res.body, JSON.stringify(fields)).toEqual({ error, error_description: expect.any(String) });
    }
  });

  it("counts token-endpoint calls as tokenRequests, apart from API requests", async () => {
    sim.resetStats();
    await grant(sim, goodGrant);
    await grant(sim, { ...goodGrant, client_secret: "wrong" });
    const stats = sim.stats();
    expect(stats.tokenRequests).toBe(2);
    expect(stats.total).toBe(0);
  });

  it("stops accepting an access token when it expires (simulated clock) or is force-expired: 401 Not Authorized", async () => {
    const token = (await grant(sim, goodGrant)).body.access_token as string;
    expect((await status(sim, token)).status).toBe(200);
    sim.expireAccessTokens();
    const expired = await status(sim, token);
    expect(expired.status).toBe(401);
    expect((expired.body as { errors: { message: string }[] }).errors[0]!.message).toBe("Not Authorized");
    // A refresh gives a working token again, which expires after expires_in.
    const fresh = (await grant(sim, goodGrant)).body.access_token as string;
    expect((await status(sim, fresh)).status).toBe(200);
    sim.advanceClock(59_000);
    expect((await status(sim, fresh)).status).toBe(200);
    sim.advanceClock(2_000);
    expect((await status(sim, fresh)).status).toBe(401);
    expect((await status(sim, sim.token)).status).toBe(200);
    // Over HTTP as well.
    const another = (await grant(sim, goodGrant)).body.access_token as string;
    expect((await fetch(`${sim.origin}/_sim/expire-tokens`, { method: "POST" })).status).toBe(200);
    expect((await status(sim, another)).status).toBe(401);
  });

  it("treats every client as invalid when OAuth is not configured, and can be configured at runtime", async () => {
    const plain = await startSimulator({ seed: 1, size: "small" });
    try {
      expect((await grant(plain, goodGrant)).status).toBe(401);
      plain.configure({ oauth: { clientId: "c", clientSecret: "s", refreshToken: "r" } });
      const res = await grant(plain, { grant_type: "refresh_token", client_id: "c", client_secret: "s", refresh_token: "r" });
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(3600);
    } finally {
      await plain.close();
    }
  });
});

describe("echo routes (a base_url that echoes requests)", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 1, size: "small" });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("GET /echo/api/1.0/... answers a last list page echoing the request's headers and URL", async () => {
    expect(sim.echoBaseUrl).toBe(sim.baseUrl.replace("/api/1.0", "/echo/api/1.0"));
    const res = await fetch(`${sim.echoBaseUrl}/workspaces?limit=100`, { headers: { Authorization: `Bearer ${sim.token}`, "X-Custom": "yes" } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { gid: string; echo: { headers: Record<string, string>; url: string } }[]; next_page: unknown };
    expect(body.next_page).toBeNull();
    expect(body.data).toHaveLength(1);
    expect(body.data[0]!.gid).toBe("1");
    expect(body.data[0]!.echo.headers.authorization).toBe(`Bearer ${sim.token}`);
    expect(body.data[0]!.echo.headers["x-custom"]).toBe("yes");
    expect(body.data[0]!.echo.url).toBe("/echo/api/1.0/workspaces?limit=100");
  });

  it("GET /echo-error/api/1.0/... answers 500 with the request's headers in an HTML page", async () => {
    const res = await fetch(`${sim.echoErrorBaseUrl}/users/me`, { headers: { Authorization: `Bearer ${sim.token}` } });
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const text = await res.text();
    expect(text).toContain(`Bearer ${sim.token}`);
    expect(text).toContain("/echo-error/api/1.0/users/me");
  });

  it("echoes a token request's form body too (a misconfigured OAuth endpoint)", async () => {
    const res = await fetch(`${sim.origin}/echo/-/oauth_token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=refresh_token&client_secret=top-secret",
    });
    const body = (await res.json()) as { data: { echo: { body: string } }[] };
    expect(body.data[0]!.echo.body).toContain("top-secret");
  });
});
