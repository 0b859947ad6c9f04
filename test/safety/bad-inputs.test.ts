/**
 * Bad inputs, table-driven: configs, catalogs, state files and API answers the connector
 * must turn into a clear message with the right failure type, never a crash, a hang or a leaked
 * secret (runAirbyte checks every output for the test secrets).
 *
 * Every row runs the built CLI against a scripted server (helpers/fake-api.ts) under its own path
 * prefix, so rows run concurrently and each row knows exactly which requests it caused: a bad
 * config, catalog or state must fail before any request.
 *
 * `check` reports a config_error as CONNECTION_STATUS FAILED with exit 0 (PROTOCOL-NOTES §1.4);
 * its rows also run `read` on the check stream with the same config, whose TRACE shows the
 * failure type.
 *
 * A 402/403/404 on a partition is skipped during a read; on the stream every other one reads
 * from (workspaces) it fails the read too, as a config_error: no empty "success".
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { type AirbyteMessage, type CliResult, runAirbyte, tempDir, writeJson } from "../helpers/cli.js";
import { type FakeAnswer, type FakeApi, type FakeRoute, html, json, startFakeApi } from "../helpers/fake-api.js";
import { DEFAULT_TOKEN } from "../../integration_tests/simulator/index.js";
import { REJECTED_TOKEN, TEST_OAUTH } from "../helpers/secrets.js";

type FailureType = "config_error" | "system_error" | "transient_error";
type Command = "check" | "discover" | "read";

interface Row {
  name: string;
  command: Command;
  /** The config (a string is written as is); default: a valid PAT config. `base` is the row's base_url. */
  config?: (base: string) => unknown;
  /** The configured catalog for `read` (a string is written as is); default: workspaces, full refresh. */
  catalog?: unknown;
  /** A state file for `read` (a string is written as is). */
  state?: unknown;
  /** How the row's server answers (paths relative to the row's origin, e.g. "/api/1.0/workspaces"). */
  api?: FakeRoute[];
  /** The config file path to pass instead of writing one. */
  configPath?: string;
  message: RegExp;
  failureType: FailureType;
  /** Exit code: 0 for `check` rows (FAILED status), 1 otherwise. */
  exit: number;
  /** The row must not send a single request (default: true for rows without `api`). */
  noRequest?: boolean;
}

const PAT = (base: string, extra: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}): Record<string, unknown> => ({
  credentials: { option_title: "PAT Credentials", personal_access_token: DEFAULT_TOKEN, ...credentials },
  base_url: base,
  requests_per_second: 500,
  max_requests_per_second: 2000,
  num_workers: 2,
  _backoff_base_seconds: 0.01,
  ...extra,
});

const OAUTH = (base: string): Record<string, unknown> => ({
  ...PAT(base),
  credentials: { option_title: "OAuth Credentials", client_id: TEST_OAUTH.clientId, client_secret: TEST_OAUTH.clientSecret, refresh_token: TEST_OAUTH.refreshToken },
});

const stream = (name: string, syncMode: string = "full_refresh") => ({
  stream: { name, json_schema: {}, supported_sync_modes: ["full_refresh", "incremental"] },
  sync_mode: syncMode,
  destination_sync_mode: "overwrite",
});
const WORKSPACES = { streams: [stream("workspaces")] };
const TASKS_INCREMENTAL = { streams: [stream("tasks", "incremental")] };
const tasksState = (streamState: unknown) => [{ type: "STREAM", stream: { stream_descriptor: { name: "tasks" }, stream_state: streamState } }];

/** JSON nested 200,000 levels deep: a stack overflow for recursive code. */
const DEEP = "[".repeat(200_000) + "]".repeat(200_000);
const LEGACY = /stopped accepting in 2017\. Use a personal access token instead: create one at https:\/\/app\.asana\.com\/0\/my-apps/;
const ASANA_400 = { errors: [{ message: "workspace: Missing input", help: "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors" }] };
const ERROR_PAGE = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>";
const workspacesAnswer = (answer: FakeAnswer | ((req: import("node:http").IncomingMessage) => FakeAnswer)): FakeRoute[] => [
  { path: "/api/1.0/workspaces", answer },
];
const tokenAnswer = (answer: FakeAnswer): FakeRoute[] => [
  { method: "POST", path: "/-/oauth_token", answer },
  { path: "/api/1.0/", answer: json(200, { data: [{ gid: "1", name: "w" }], next_page: null }) },
];

const ROWS: Row[] = [
  // --- configs: every violation named by field, before any request -------------------------
  {
    name: "config file is not JSON, and the text around the error (a token) is not quoted",
    command: "check",
    config: () => `{"credentials": {"option_title": "PAT Credentials", "personal_access_token": ${DEFAULT_TOKEN}}}`,
    message: /^The config file .*config-\d+\.json is not valid JSON: unexpected character "s" at line 1, column 78$/,
    failureType: "config_error",
    exit: 0,
  },
  { name: "config is a JSON list", command: "discover", config: () => "[]", message: /^The config file .* must hold a JSON object$/, failureType: "config_error", exit: 1 },
  { name: "config file does not exist", command: "discover", configPath: "/nonexistent/source-asana/config.json", message: /config file \/nonexistent\/source-asana\/config\.json could not be read \(ENOENT\)/, failureType: "config_error", exit: 1 },
  { name: "credentials missing", command: "check", config: (b) => ({ base_url: b }), message: /^The config is invalid: credentials is required$/, failureType: "config_error", exit: 0 },
  {
    name: "unknown authentication option",
    command: "discover",
    config: (b) => PAT(b, {}, { option_title: "Token" }),
    message: /credentials\.option_title must be one of "OAuth Credentials", "PAT Credentials", "Service Account Credentials"/,
    failureType: "config_error",
    exit: 1,
  },
  { name: "blank PAT", command: "discover", config: (b) => PAT(b, {}, { personal_access_token: "   " }), message: /credentials\.personal_access_token must be a non-empty value without spaces/, failureType: "config_error", exit: 1 },
  {
    name: "OAuth option missing the secret and the refresh token: both named",
    command: "discover",
    config: (b) => ({ ...PAT(b), credentials: { option_title: "OAuth Credentials", client_id: TEST_OAUTH.clientId } }),
    message: /credentials\.client_secret is required; credentials\.refresh_token is required$/,
    failureType: "config_error",
    exit: 1,
  },
  {
    name: "several violations at once: each field named",
    command: "discover",
    config: (b) => PAT(b, { base_url: "ftp://example.com", num_workers: 0, start_date: "yesterday", requests_per_second: "fast" }),
    message: /^(?=.*start_date must be YYYY-MM-DDTHH:MM:SSZ)(?=.*base_url must be an https:\/\/ URL)(?=.*num_workers must be >= 1)(?=.*requests_per_second must be a number)/,
    failureType: "config_error",
    exit: 1,
  },
  { name: "base_url over plain http to a remote host", command: "discover", config: (b) => PAT(b, { base_url: "http://app.asana.com/api/1.0" }), message: /base_url must be an https:\/\/ URL, or http:\/\/ on a loopback address only/, failureType: "config_error", exit: 1 },
  { name: "start_date that is not a date", command: "discover", config: (b) => PAT(b, { start_date: "2024-13-45T00:00:00Z" }), message: /start_date must be a valid date-time \(YYYY-MM-DDTHH:MM:SSZ\)/, failureType: "config_error", exit: 1 },
  // --- legacy API keys and Basic auth ---------------------------------------------------------
  { name: "legacy api_key at the top level", command: "check", config: (b) => ({ base_url: b, api_key: "0/1a2b3c4d5e6f7a8b9c0d" }), message: LEGACY, failureType: "config_error", exit: 0 },
  { name: "legacy api_key under credentials", command: "read", config: (b) => ({ base_url: b, credentials: { api_key: "0/1a2b3c4d5e6f7a8b9c0d" } }), message: LEGACY, failureType: "config_error", exit: 1 },
  { name: "legacy Basic auth (username/password) at the top level", command: "discover", config: (b) => ({ base_url: b, username: "me@example.com", password: "hunter2-password" }), message: LEGACY, failureType: "config_error", exit: 1 },
  { name: "legacy Basic auth under credentials, next to a PAT option", command: "discover", config: (b) => PAT(b, {}, { username: "me@example.com", password: "hunter2-password" }), message: LEGACY, failureType: "config_error", exit: 1 },
  // --- catalogs ---------------------------------------------------------------------------------
  { name: "catalog is not JSON", command: "read", catalog: "{streams: []}", message: /catalog file .* is not valid JSON: .* at line 1, column 2$/, failureType: "config_error", exit: 1 },
  { name: "catalog without streams", command: "read", catalog: { stream: [] }, message: /catalog file .* must be a ConfiguredAirbyteCatalog with a "streams" list/, failureType: "config_error", exit: 1 },
  { name: "catalog entry without a stream name", command: "read", catalog: { streams: [{ sync_mode: "full_refresh" }] }, message: /catalog's streams\[0\] has no stream\.name/, failureType: "config_error", exit: 1 },
  { name: "unknown stream", command: "read", catalog: { streams: [stream("__AIRBYTE__stream_that_does_not_exist")] }, message: /asks for stream __AIRBYTE__stream_that_does_not_exist, which this source does not have/, failureType: "config_error", exit: 1 },
  { name: "invalid sync mode", command: "read", catalog: { streams: [stream("workspaces", "INVALID")] }, message: /stream workspaces has sync_mode "INVALID"; expected "full_refresh" or "incremental"/, failureType: "config_error", exit: 1 },
  { name: "incremental on a full-refresh-only stream", command: "read", catalog: { streams: [stream("workspaces", "incremental")] }, message: /stream workspaces in incremental mode; it supports full_refresh$/, failureType: "config_error", exit: 1 },
  { name: "a stream listed twice", command: "read", catalog: { streams: [stream("workspaces"), stream("workspaces")] }, message: /lists stream workspaces twice/, failureType: "config_error", exit: 1 },
  // --- state files ------------------------------------------------------------------------------
  { name: "state is not JSON", command: "read", catalog: TASKS_INCREMENTAL, state: "modified_at=2024", message: /state file .* is not valid JSON: .* at line 1, column 1$/, failureType: "config_error", exit: 1 },
  { name: "state is a number", command: "read", catalog: TASKS_INCREMENTAL, state: "42", message: /must hold a JSON array of Airbyte state messages .*the messages a sync printed .*or the legacy object/, failureType: "config_error", exit: 1 },
  { name: "state entry is not an object", command: "read", catalog: TASKS_INCREMENTAL, state: [1], message: /entry 0 is not an object/, failureType: "config_error", exit: 1 },
  { name: "state message without a stream_descriptor", command: "read", catalog: TASKS_INCREMENTAL, state: [{ type: "STREAM", stream: { stream_state: {} } }], message: /entry 0 must have a stream_descriptor/, failureType: "config_error", exit: 1 },
  { name: "stream_state that is a list", command: "read", catalog: TASKS_INCREMENTAL, state: tasksState([1]), message: /the state of stream tasks must be an object/, failureType: "config_error", exit: 1 },
  { name: "cursor value that is not a date-time", command: "read", catalog: TASKS_INCREMENTAL, state: tasksState({ modified_at: "yesterday" }), message: /state of stream tasks is malformed: modified_at is "yesterday", not a date-time/, failureType: "config_error", exit: 1 },
  { name: "state without the cursor field", command: "read", catalog: TASKS_INCREMENTAL, state: tasksState({ updated: "2024-01-01T00:00:00Z" }), message: /expected "modified_at" or a per-partition "states" list/, failureType: "config_error", exit: 1 },
  {
    name: "per-partition state with a malformed cursor",
    command: "read",
    catalog: TASKS_INCREMENTAL,
    state: tasksState({ states: [{ partition: { project_gid: "1" }, cursor: { modified_at: "soon" } }] }),
    message: /states\[0\]\.cursor\.modified_at is "soon", not a date-time/,
    failureType: "config_error",
    exit: 1,
  },
  {
    name: "cursor value that is a number",
    command: "read",
    catalog: TASKS_INCREMENTAL,
    state: tasksState({ modified_at: 12 }),
    message: /modified_at is 12, not a date-time/,
    failureType: "config_error",
    exit: 1,
  },
  // --- API answers --------------------------------------------------------------------------------
  { name: "401 on check", command: "check", api: workspacesAnswer(json(401, { errors: [{ message: "Not Authorized" }] })), message: /401 Not Authorized.*Create a personal access token/, failureType: "config_error", exit: 0 },
  { name: "401 on read", command: "read", config: (b) => PAT(b, {}, { personal_access_token: REJECTED_TOKEN }), api: workspacesAnswer(json(401, { errors: [{ message: "Not Authorized" }] })), message: /Asana rejected the credentials \(401 Not Authorized\)/, failureType: "config_error", exit: 1 },
  { name: "400 with Asana's own message", command: "read", api: workspacesAnswer(json(400, ASANA_400)), message: /failed: HTTP 400: workspace: Missing input$/, failureType: "system_error", exit: 1 },
  {
    name: "400 whose message repeats the Authorization header (masked)",
    command: "read",
    api: workspacesAnswer((req) => json(400, { errors: [{ message: `Bad header: ${req.headers.authorization ?? ""}` }] })),
    message: /HTTP 400: Bad header: Bearer \*{10}$/,
    failureType: "system_error",
    exit: 1,
  },
  { name: "HTML error page (502) on every retry", command: "read", api: workspacesAnswer(html(502, ERROR_PAGE)), message: /^Reading workspaces \(whole stream\) failed after 5 retries: HTTP 502$/, failureType: "transient_error", exit: 1 },
  { name: "200 with an HTML page instead of JSON", command: "read", api: workspacesAnswer(html(200, "<html><body>Sign in</body></html>")), message: /failed after 5 retries: The response body is not valid JSON/, failureType: "transient_error", exit: 1 },
  { name: "429 forever", command: "read", api: workspacesAnswer(json(429, { errors: [{ message: "You've made too many requests" }] }, { "retry-after": "0" })), message: /Still rate limited after 50 waits while reading workspaces/, failureType: "transient_error", exit: 1 },
  { name: "expired pagination token on the first page, twice", command: "read", api: workspacesAnswer(json(400, { errors: [{ message: "offset: Your pagination token has expired." }] })), message: /failed twice in a row: HTTP 400: offset: Your pagination token has expired/, failureType: "system_error", exit: 1 },
  {
    name: '200 {"data": "x"}: not a list of records',
    command: "read",
    api: workspacesAnswer(json(200, { data: "x" })),
    message: /workspaces \(whole stream\) failed: the API answered HTTP 200 with a body of an unexpected shape \("data" is a string \("x"\), not a list of records\)/,
    failureType: "system_error",
    exit: 1,
  },
  {
    name: '200 {"errors": [...]}: an error envelope with a success status',
    command: "read",
    api: workspacesAnswer(json(200, { errors: [{ message: "Server overloaded" }] })),
    message: /failed after 5 retries: HTTP 200 with an error instead of records: Server overloaded$/,
    failureType: "transient_error",
    exit: 1,
  },
  {
    name: "403 on check (the token cannot read workspaces)",
    command: "check",
    api: workspacesAnswer(json(403, { errors: [{ message: "Forbidden" }] })),
    // read: no "successful" empty sync when the stream every other one hangs from is forbidden.
    message: /(These credentials cannot read workspaces: |Could not read workspaces, which every other stream reads from ).*HTTP 403: Forbidden/,
    failureType: "config_error",
    exit: 0,
  },
  {
    name: "base_url without /api/1.0: every route 404s",
    command: "read",
    api: workspacesAnswer(json(404, { errors: [{ message: "Not Found" }] })),
    message: /Could not read workspaces, which every other stream reads from .*HTTP 404: Not Found.*nothing would sync\. Check the config's base_url/,
    failureType: "config_error",
    exit: 1,
  },
  // --- shapes: answers and inputs that parse but cannot be used (shapes.test.ts has the rest) -------
  {
    name: '200 {"data": {"unexpected": true}} on a paginated list',
    command: "read",
    api: workspacesAnswer(json(200, { data: { unexpected: true } })),
    message: /workspaces \(whole stream\) failed: the API answered HTTP 200 with a body of an unexpected shape \(records at "data" must be a list, got an object\)$/,
    failureType: "system_error",
    exit: 1,
  },
  {
    name: "a record without its primary key: stream, key and position named, no record values",
    command: "read",
    api: workspacesAnswer(json(200, { data: [{ gid: "1", name: "w" }, { name: "private-name-3141" }], next_page: null })),
    message: /^(?!.*private-name)Reading workspaces \(whole stream\) failed: record 2 of 2 on a page of workspaces \(whole stream\) has no primary key "gid" \(stream workspaces\)$/,
    failureType: "system_error",
    exit: 1,
  },
  {
    name: "a primary key of another type than the schema declares",
    command: "read",
    api: workspacesAnswer(json(200, { data: [{ gid: 12, name: "w" }], next_page: null })),
    message: /the primary key "gid" of record 1 of 1 on a page of workspaces \(whole stream\) is an integer, but the schema of stream workspaces declares string$/,
    failureType: "system_error",
    exit: 1,
  },
  {
    name: "a gid sent as a JSON number beyond 2^53 (JSON.parse would round it)",
    command: "read",
    api: workspacesAnswer({ status: 200, body: '{"data": [{"gid": 123456789012345678901, "name": "w"}], "next_page": null}', headers: { "content-type": "application/json" } }),
    message: /the API sent an integer beyond 2\^53 in "gid" \(21 digits, at character 18 of the response\): it cannot be represented exactly/,
    failureType: "system_error",
    exit: 1,
  },
  { name: "config nested 200,000 levels", command: "discover", config: () => DEEP, message: /^The config file .*config-\d+\.json is nested deeper than 1000 levels/, failureType: "config_error", exit: 1 },
  { name: "catalog nested 200,000 levels", command: "read", catalog: DEEP, message: /^The catalog file .* is nested deeper than 1000 levels/, failureType: "config_error", exit: 1 },
  { name: "state nested 200,000 levels", command: "read", catalog: TASKS_INCREMENTAL, state: DEEP, message: /^The state file .* is nested deeper than 1000 levels/, failureType: "config_error", exit: 1 },
  { name: "config file over 10 MB", command: "discover", config: () => " ".repeat(10 * 1024 * 1024 + 1) + "{}", message: /^The config file .* is larger than 10 MB/, failureType: "config_error", exit: 1 },
  {
    name: "state file with neither state messages nor stream states: the accepted shapes named",
    command: "read",
    catalog: TASKS_INCREMENTAL,
    state: [{ type: "RECORD", record: { stream: "tasks", data: {}, emitted_at: 1 } }, { hello: "world" }],
    message: /entry 1 is not an Airbyte state message .*the file must hold a JSON array of Airbyte state messages .*as JSON lines or a JSON array/,
    failureType: "config_error",
    exit: 1,
  },
  // --- the OAuth token endpoint ---------------------------------------------------------------------
  { name: "token endpoint missing (404 HTML): base_url is not Asana", command: "check", config: OAUTH, api: [{ method: "POST", path: "/-/oauth_token", answer: html(404, "<h1>Not Found</h1>") }], message: /token endpoint http:\/\/127\.0\.0\.1:\d+\/r\d+\/-\/oauth_token answered HTTP 404: there is no OAuth token endpoint at that address\. Check base_url/, failureType: "config_error", exit: 0 },
  { name: "token endpoint answers 200 without an access_token", command: "read", config: OAUTH, api: tokenAnswer(json(200, { token_type: "bearer" })), message: /answered HTTP 200 without an access_token.*Check base_url/, failureType: "config_error", exit: 1 },
  { name: "token endpoint answers 500 every time", command: "read", config: OAUTH, api: tokenAnswer(json(500, { errors: [{ message: "Server Error" }] })), message: /Could not refresh the OAuth access token: the token endpoint .* failed 3 times \(HTTP 500\)/, failureType: "transient_error", exit: 1 },
  { name: "token endpoint: invalid_client", command: "read", config: OAUTH, api: tokenAnswer(json(401, { error: "invalid_client", error_description: "The client ID or client secret is invalid." })), message: /credentials\.client_id or credentials\.client_secret is wrong/, failureType: "config_error", exit: 1 },
  { name: "token endpoint: invalid_grant", command: "read", config: OAUTH, api: tokenAnswer(json(400, { error: "invalid_grant", error_description: "The `refresh_token` is invalid or has been revoked." })), message: /credentials\.refresh_token is invalid, expired or revoked\. Re-authenticate/, failureType: "config_error", exit: 1 },
];

const errorsOf = (messages: AirbyteMessage[]) =>
  messages.filter((m) => m.type === "TRACE" && m.trace!.type === "ERROR").map((m) => m.trace!.error!);

describe("bad inputs", () => {
  let api: FakeApi;
  const dir = tempDir("source-asana-bad-inputs-");

  beforeAll(async () => {
    // Every row's routes, each under its own prefix /r<i>.
    api = await startFakeApi(
      ROWS.flatMap((row, i) => (row.api ?? []).map((route) => ({ ...route, path: `/r${i}${route.path}` }))),
    );
  });
  afterAll(async () => {
    await api?.close();
  });

  const write = (name: string, value: unknown): string => writeJson(dir, name, value);

  async function runRow(row: Row, i: number, command: Command): Promise<CliResult> {
    const base = `${api.origin}/r${i}/api/1.0`;
    const configPath = row.configPath ?? write(`config-${i}.json`, (row.config ?? PAT)(base));
    const args = [command, "--config", configPath];
    if (command === "read") {
      args.push("--catalog", write(`catalog-${i}.json`, row.catalog ?? WORKSPACES));
      if (row.state !== undefined) args.push("--state", write(`state-${i}.json`, row.state));
    }
    return runAirbyte(args, 30_000);
  }

  it("has at least 30 rows that pass, of every kind", ({ expect }) => {
    const rows = ROWS;
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(rows.filter((r) => r.api).length).toBeGreaterThanOrEqual(8);
    expect(rows.filter((r) => r.state !== undefined).length).toBeGreaterThanOrEqual(5);
    expect(rows.filter((r) => r.catalog !== undefined && r.state === undefined).length).toBeGreaterThanOrEqual(5);
  });

  ROWS.forEach((row, i) => {
    it.concurrent(`${row.command}: ${row.name}`, async ({ expect }) => {
      const prefix = `/r${i}/`;
      const result = await runRow(row, i, row.command);
      expect(result.stderr, "nothing on stderr").toBe("");
      expect(result.code, "exit code").toBe(row.exit);
      const errors = errorsOf(result.messages);
      if (row.command === "check") {
        const last = result.messages.at(-1);
        expect(last?.type).toBe("CONNECTION_STATUS");
        expect(last!.connectionStatus!.status).toBe("FAILED");
        expect(last!.connectionStatus!.message).toMatch(row.message);
        // The failure type of the same input, from read's TRACE on the check stream.
        const read = await runRow(row, i, "read");
        const readErrors = errorsOf(read.messages);
        expect(readErrors.length, "read reports the same problem as a TRACE error").toBeGreaterThan(0);
        expect(readErrors[0]!.failure_type).toBe(row.failureType);
        expect(readErrors[0]!.message).toMatch(row.message);
      } else {
        expect(errors.length, "at least one TRACE error").toBeGreaterThan(0);
        expect(errors[0]!.message).toMatch(row.message);
        expect(errors.map((e) => e.failure_type)).toEqual(errors.map(() => row.failureType));
      }
      const requests = api.requests().filter((r) => r.url.startsWith(prefix));
      if (row.noRequest ?? !row.api) expect(requests, "no request for a bad input").toEqual([]);
      else expect(requests.length, "the requests are bounded").toBeLessThanOrEqual(60);
    });
  });
});
