/**
 * Secrets never leave the connector: personal access tokens (both formats), a
 * service-account token, the OAuth client ID, client secret and refresh token, and the access
 * tokens the token endpoint issues must not appear on stdout or stderr, in logs, messages or
 * traces, whatever fails. The failures are driven on purpose: base_url pointed at servers that
 * echo the Authorization header into records and error pages, rejected tokens, refused OAuth
 * refreshes, a token endpoint that fails, API messages quoting the token, config files that are
 * not JSON around a token, tokens in the wrong fields.
 *
 * Every run goes through runAirbyte, which checks each output for the test secrets
 * (helpers/secrets.ts); this file also re-scans everything it recorded, for encoded forms too.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_TOKEN, type Simulator, startSimulator } from "../../integration_tests/simulator/index.js";
import { type AirbyteMessage, type CliResult, catalogFor, credentialsConfig, recordsOf, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type FakeApi, html, json, startFakeApi } from "../helpers/fake-api.js";
import {
  ISSUED_ACCESS_TOKEN,
  NEW_FORMAT_PAT,
  REJECTED_TOKEN,
  SERVICE_ACCOUNT_TOKEN,
  TEST_OAUTH,
  TEST_SECRETS,
  WRONG_CLIENT_SECRET,
  WRONG_REFRESH_TOKEN,
  recordedOutputs,
  secretLeaks,
} from "../helpers/secrets.js";

const MASK = "**********";
const dir = tempDir("source-asana-secrets-");
let files = 0;

type Credentials = Record<string, string>;

const CREDENTIALS: Record<string, Credentials> = {
  "PAT (simulator token)": { option_title: "PAT Credentials", personal_access_token: DEFAULT_TOKEN },
  "PAT (2/<gid>/<gid>:<hex> format)": { option_title: "PAT Credentials", personal_access_token: NEW_FORMAT_PAT },
  "service account": { option_title: "Service Account Credentials", service_account_token: SERVICE_ACCOUNT_TOKEN },
  OAuth: { option_title: "OAuth Credentials", client_id: TEST_OAUTH.clientId, client_secret: TEST_OAUTH.clientSecret, refresh_token: TEST_OAUTH.refreshToken },
};

const config = (baseUrl: string, credentials: Credentials, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  credentialsConfig(baseUrl, credentials, extra);

const outputs: CliResult[] = [];

async function run(command: "check" | "discover" | "read", configValue: unknown, streams: string[] = ["workspaces", "users"]): Promise<CliResult> {
  const n = ++files;
  const args = [command, "--config", writeJson(dir, `config-${n}.json`, configValue)];
  if (command === "read") args.push("--catalog", writeJson(dir, `catalog-${n}.json`, catalogFor(streams)));
  // runAirbyte rejects when an output holds a test secret.
  const result = await runAirbyte(args, 30_000);
  outputs.push(result);
  expect(result.stderr, "nothing on stderr (no stack trace)").toBe("");
  return result;
}

const errorsOf = (messages: AirbyteMessage[]) =>
  messages.filter((m) => m.type === "TRACE" && m.trace!.type === "ERROR").map((m) => m.trace!.error!);

function failed(result: CliResult): string {
  const status = result.messages.find((m) => m.type === "CONNECTION_STATUS")?.connectionStatus;
  return status?.status === "FAILED" ? (status.message ?? "") : (errorsOf(result.messages)[0]?.message ?? "");
}

let sim: Simulator;
let fake: FakeApi;
/** Access tokens the fake token endpoint issued (random, like Asana's). */
const issued: string[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    seed: 21,
    size: "small",
    tokens: [DEFAULT_TOKEN, SERVICE_ACCOUNT_TOKEN, NEW_FORMAT_PAT],
    oauth: { ...TEST_OAUTH, accessTokenTtlSeconds: 3600 },
  });
  const issue = () => {
    const token = `sim-oauth-${randomBytes(16).toString("hex")}`;
    issued.push(token);
    return json(200, { access_token: token, expires_in: 3600, token_type: "bearer" });
  };
  fake = await startFakeApi([
    // An API that puts the Authorization header it receives into records and error messages.
    { method: "POST", path: "/quote/-/oauth_token", answer: issue },
    { path: "/quote/api/1.0/workspaces", answer: (req) => json(200, { data: [{ gid: "1", name: req.headers.authorization ?? "" }], next_page: null }) },
    { path: "/quote/api/1.0/", answer: (req) => json(400, { errors: [{ message: `Token not allowed here: ${req.headers.authorization ?? ""}` }] }) },
    // An API that answers 401 with a page quoting the header.
    { method: "POST", path: "/deny/-/oauth_token", answer: issue },
    { path: "/deny/api/1.0/", answer: (req) => html(401, `<h1>401</h1><pre>${req.headers.authorization ?? ""}</pre>`) },
    // A token endpoint that fails, quoting the form it received (client secret, refresh token).
    { method: "POST", path: "/broken/-/oauth_token", answer: (_req, body) => html(500, `<h1>500</h1><pre>${body}</pre>`) },
    { method: "POST", path: "/echo-token/-/oauth_token", answer: (_req, body) => json(400, { error: "invalid_request", error_description: `Bad form: ${body}` }) },
  ]);
});

afterAll(async () => {
  await sim?.close();
  await fake?.close();
});

describe.concurrent("base_url pointed at servers that echo the request headers", () => {
  for (const [kind, credentials] of Object.entries(CREDENTIALS)) {
    it(`${kind}: records echoing the Authorization header hold the mask`, async () => {
      const result = await run("read", config(sim.echoBaseUrl, credentials));
      if (credentials.option_title === "OAuth Credentials") {
        // The token endpoint behind the echo base_url answers 200 without an access_token.
        expect(result.code).toBe(1);
        expect(errorsOf(result.messages)[0]).toMatchObject({ failure_type: "config_error", message: expect.stringMatching(/without an access_token.*Check base_url/) });
        return;
      }
      expect(result.code).toBe(0);
      const records = recordsOf(result.messages, "workspaces");
      expect(records.length).toBe(1);
      const echo = records[0]!.echo as { headers: Record<string, string> };
      expect(echo.headers.authorization).toBe(`Bearer ${MASK}`);
    });

    // The Bearer path is the same for every token format: the error pages for one PAT and for OAuth.
    if (kind === "service account" || kind.startsWith("PAT (2/")) continue;
    it(`${kind}: 500 pages echoing the headers, on read and check`, async () => {
      const read = await run("read", config(sim.echoErrorBaseUrl, credentials));
      expect(read.code).toBe(1);
      expect(errorsOf(read.messages)[0]!.failure_type).toBe("transient_error");
      const check = await run("check", config(sim.echoErrorBaseUrl, credentials));
      expect(check.messages.at(-1)!.connectionStatus!.status).toBe("FAILED");
    });
  }
});

describe.concurrent("rejected and refused credentials", () => {
  it("a rejected PAT", async () => {
    const read = await run("read", config(sim.baseUrl, { option_title: "PAT Credentials", personal_access_token: REJECTED_TOKEN }));
    expect(errorsOf(read.messages)[0]!.failure_type).toBe("config_error");
  });

  it("an OAuth refresh refused for the refresh token (read) or the client secret (check)", async () => {
    const read = await run("read", config(sim.baseUrl, { ...CREDENTIALS.OAuth!, refresh_token: WRONG_REFRESH_TOKEN }));
    expect(errorsOf(read.messages)[0]).toMatchObject({ failure_type: "config_error", message: expect.stringMatching(/credentials\.refresh_token/) });
    const check = await run("check", config(sim.baseUrl, { ...CREDENTIALS.OAuth!, client_secret: WRONG_CLIENT_SECRET }));
    expect(failed(check)).toMatch(/credentials\.client_id or credentials\.client_secret/);
  });

  it("a token endpoint answering 500 pages that quote the form (client secret, refresh token)", async () => {
    const result = await run("read", config(`${fake.origin}/broken/api/1.0`, CREDENTIALS.OAuth!));
    expect(errorsOf(result.messages)[0]).toMatchObject({ failure_type: "transient_error", message: expect.stringMatching(/failed 3 times \(HTTP 500\)/) });
    expect(fake.requests().filter((r) => r.url === "/broken/-/oauth_token").length).toBe(3);
  });

  it("a token endpoint whose error_description quotes the form", async () => {
    const result = await run("check", config(`${fake.origin}/echo-token/api/1.0`, CREDENTIALS.OAuth!));
    expect(failed(result)).toMatch(/invalid_request: Bad form: .*client_secret=\*{10}/);
  });

  it("the API quoting issued OAuth access tokens in records, 400 messages and 401 pages", async () => {
    const before = issued.length;
    const quoted = await run("read", config(`${fake.origin}/quote/api/1.0`, CREDENTIALS.OAuth!, { num_workers: 1 }), ["workspaces", "projects"]);
    expect(recordsOf(quoted.messages, "workspaces")).toEqual([{ gid: "1", name: `Bearer ${MASK}` }]);
    expect(errorsOf(quoted.messages).map((e) => e.message).join("\n")).toContain(`Token not allowed here: Bearer ${MASK}`);
    const denied = await run("read", config(`${fake.origin}/deny/api/1.0`, CREDENTIALS.OAuth!));
    expect(errorsOf(denied.messages)[0]!.failure_type).toBe("config_error");
    expect(issued.length, "access tokens were issued").toBeGreaterThan(before);
    for (const token of issued) for (const result of [quoted, denied]) expect(result.lines.join("\n")).not.toContain(token);
  });
});

describe.concurrent("secrets in broken config files and in the wrong fields", () => {
  const secretsByKind: Array<[string, Credentials, string]> = [
    ["personal_access_token", CREDENTIALS["PAT (2/<gid>/<gid>:<hex> format)"]!, NEW_FORMAT_PAT],
    ["client_secret", CREDENTIALS.OAuth!, TEST_OAUTH.clientSecret],
  ];

  for (const [field, credentials, secret] of secretsByKind) {
    it(`a config that is not JSON next to the ${field}`, async () => {
      const text = JSON.stringify(config(sim.baseUrl, credentials), null, 2);
      // The value unquoted, or followed by a stray character: V8 would quote the text around it.
      const variants = [text.replace(`"${secret}"`, secret), text.replace(`"${secret}"`, `"${secret}"x`)];
      for (const broken of field === "personal_access_token" ? variants : variants.slice(0, 1)) {
        expect(broken).not.toBe(text);
        const result = await run("check", broken);
        expect(failed(result)).toMatch(/is not valid JSON: .* at line \d+, column \d+$/);
      }
    });
  }

  it("tokens in the wrong fields are not repeated by validation messages", async () => {
    const bad = [
      config(sim.baseUrl, { option_title: SERVICE_ACCOUNT_TOKEN }),
      { ...config(sim.baseUrl, CREDENTIALS.OAuth!), credentials: NEW_FORMAT_PAT },
      config(`https://${DEFAULT_TOKEN}@app.asana.com/api/1.0`, CREDENTIALS["PAT (simulator token)"]!, { start_date: TEST_OAUTH.refreshToken }),
      config(sim.baseUrl, { option_title: "PAT Credentials", personal_access_token: `Bearer ${SERVICE_ACCOUNT_TOKEN}` }),
    ];
    for (const value of bad) {
      const result = await run("discover", value);
      expect(result.code).toBe(1);
      expect(errorsOf(result.messages)[0]!.failure_type).toBe("config_error");
    }
  });
});

describe("everything this file printed", () => {
  it("was recorded and scanned, and holds no secret in any encoding", () => {
    const recorded = recordedOutputs();
    // stdout and stderr of every run.
    expect(recorded.length).toBe(outputs.length * 2);
    expect(outputs.length).toBeGreaterThanOrEqual(20);
    const encoded = TEST_SECRETS.flatMap((s) => [Buffer.from(s).toString("base64"), encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]);
    let masked = 0;
    for (const { what, text } of recorded) {
      expect(text, `${what} was kept`).toBeDefined();
      expect(secretLeaks(text!), what).toEqual([]);
      for (const form of encoded) expect(text!.includes(form), `${what} holds an encoded secret`).toBe(false);
      for (const token of issued) expect(text!.includes(token), `${what} holds an issued access token`).toBe(false);
      expect(ISSUED_ACCESS_TOKEN.test(text!)).toBe(false);
      if (text!.includes(MASK)) masked++;
    }
    // The echo routes really did put secrets in the answers: the mask shows where.
    expect(masked).toBeGreaterThanOrEqual(4);
  });
});
