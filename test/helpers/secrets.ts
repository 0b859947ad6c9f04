/**
 * The test suite's secrets, and the check that none of them ever appears in what the connector
 * prints. `runAirbyte` (cli.ts) passes every stdout and stderr it collects through
 * `assertNoTestSecrets`, so every test that spawns the CLI through it is a leak test too.
 *
 * A secret leaks whole, or in part: V8 quotes about 10 characters either side of a JSON syntax
 * error, so a secret with a random tail is also looked for as every 10-character piece of that
 * tail. Access tokens issued by the simulator's OAuth endpoint are random ("sim-oauth-" and 32 hex
 * digits), so they are matched by shape.
 *
 * A secret also leaks encoded: the scan looks at each output as written and as decoded (JSON
 * escapes, nested or not; percent-encoding, once or twice; URL-encoded JSON), and at the base64
 * and base64url runs of each of those, decoded at each of the four character offsets, for the
 * whole secrets and the issued tokens' shape.
 */
import { DEFAULT_SERVICE_ACCOUNT_TOKEN, DEFAULT_TOKEN } from "../../integration_tests/simulator/index.js";

/** OAuth app credentials for the simulator's token endpoint (`startSimulator({ oauth: TEST_OAUTH })`). */
export const TEST_OAUTH = {
  clientId: "oauth-client-id-8c3e5a1f07b9d246",
  clientSecret: "oauth-client-secret-4f0b9c2e7a1d5836",
  refreshToken: "oauth-refresh-token-d93a06e2b5c71f48",
} as const;

/** A service-account token the simulator accepts (`startSimulator({ tokens: [DEFAULT_TOKEN, SERVICE_ACCOUNT_TOKEN] })`). */
export const SERVICE_ACCOUNT_TOKEN = "svc-account-token-6e1f8b3d2c0a9475";

/**
 * A personal access token in Asana's current format (`2/<user gid>/<token gid>:<hex>`), fake, and
 * assembled at run time so that no token-shaped literal sits in the repository (secret scanners
 * would flag it).
 */
export const NEW_FORMAT_PAT = `${["2", "1209876543210001", "1209876543299002"].join("/")}:${"9f8e7d6c5b4a3928"}${"1706f5e4d3c2b1a0"}`;

/** Tokens the simulator rejects, used to drive 401s. */
export const REJECTED_TOKEN = "rejected-pat-token-b27c5e90d4a1f638";
export const WRONG_CLIENT_SECRET = "wrong-client-secret-0a6d3f9e1c8b7254";
export const WRONG_REFRESH_TOKEN = "wrong-refresh-token-5c2e7b1a9f04d836";

/** Every secret a test config may carry, whole. */
export const TEST_SECRETS: readonly string[] = [
  DEFAULT_TOKEN,
  DEFAULT_SERVICE_ACCOUNT_TOKEN,
  TEST_OAUTH.clientId,
  TEST_OAUTH.clientSecret,
  TEST_OAUTH.refreshToken,
  SERVICE_ACCOUNT_TOKEN,
  NEW_FORMAT_PAT,
  REJECTED_TOKEN,
  WRONG_CLIENT_SECRET,
  WRONG_REFRESH_TOKEN,
  // Bad tokens of other test files and of integration_tests/invalid_config.json.
  "not-a-valid-token",
  "0/not-a-valid-asana-token",
];

/** Access tokens issued by the simulator's OAuth endpoint: "sim-oauth-" and 32 random hex digits. */
export const ISSUED_ACCESS_TOKEN = /sim-oauth-[0-9a-f]{2,}/;

const TAIL_WINDOW = 10;

/** The strings whose presence in an output means a leak. */
function needles(secret: string): string[] {
  const tail = /[0-9a-f]{16,}$/.exec(secret)?.[0];
  if (!tail) return [secret];
  const pieces = new Set<string>([secret]);
  for (let i = 0; i + TAIL_WINDOW <= tail.length; i++) pieces.add(tail.slice(i, i + TAIL_WINDOW));
  return [...pieces];
}

const NEEDLES: ReadonlyArray<{ secret: string; needle: string }> = TEST_SECRETS.flatMap((secret) =>
  needles(secret).map((needle) => ({ secret, needle })),
);

/** JSON escapes (`\\u002f`, `\\"`, also behind nested backslashes) replaced by what they stand for. */
function unescapeJson(text: string): string {
  if (!text.includes("\\")) return text;
  return text
    .replace(/\\+u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(/\\+(["/])/g, "$1")
    .replace(/\\{2,}/g, "\\");
}

/** Percent-encoded bytes (also `%25`-encoded again) as the Latin-1 characters of those bytes. */
function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  return text.replace(/%(?:25)*([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** Every base64 or base64url run of `text`, decoded from each of its first four characters, joined. */
function base64Decoded(text: string): string[] {
  const runs = text.match(/[A-Za-z0-9+/_-]{8,}/g) ?? [];
  return [0, 1, 2, 3].map((offset) =>
    runs.map((run) => Buffer.from(run.slice(offset).replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("latin1")).join("\n"),
  );
}

/** What `text` says once decoded: its JSON- and percent-decoded views, and their base64 runs decoded. */
function decodedViews(text: string): string[] {
  const json = unescapeJson(text);
  const views = Array.from(new Set([json, unescapeJson(percentDecode(text)), unescapeJson(percentDecode(json))]));
  return Array.from(new Set([...views, ...views.flatMap(base64Decoded)])).filter((view) => view !== text);
}

/** Secrets that `text` gives away (the secret, not the piece found), empty when none. */
export function secretLeaks(text: string): string[] {
  const found = new Set<string>();
  for (const { secret, needle } of NEEDLES) if (text.includes(needle)) found.add(secret);
  for (const view of decodedViews(text)) {
    for (const secret of TEST_SECRETS) if (view.includes(secret)) found.add(`${secret} (encoded)`);
    const issued = ISSUED_ACCESS_TOKEN.exec(view);
    if (issued) found.add(`an encoded issued OAuth access token (${issued[0].slice(0, 14)}...)`);
  }
  const issued = ISSUED_ACCESS_TOKEN.exec(text);
  if (issued) found.add(`an issued OAuth access token (${issued[0].slice(0, 14)}...)`);
  return [...found];
}

/** Throws when `text` contains a test secret; `what` names the output in the message. */
export function assertNoTestSecrets(text: string, what: string): void {
  const leaks = secretLeaks(text);
  if (leaks.length) throw new Error(`${what} leaks test secrets: ${leaks.join(", ")}`);
}

export interface RecordedOutput {
  what: string;
  bytes: number;
  /** The text itself, kept while the file's recorded texts stay under RECORDED_TEXT_LIMIT. */
  text: string | undefined;
}

const RECORDED_TEXT_LIMIT = 32 * 1024 * 1024;
let recordedBytes = 0;

/** Every output checked in this test file (vitest runs each file in its own process). */
const recorded: RecordedOutput[] = [];

export function recordOutput(what: string, text: string): void {
  const keep = recordedBytes + text.length <= RECORDED_TEXT_LIMIT;
  if (keep) recordedBytes += text.length;
  recorded.push({ what, bytes: text.length, text: keep ? text : undefined });
}

export function recordedOutputs(): readonly RecordedOutput[] {
  return recorded;
}

/** Checks an output and records it; what `runAirbyte` does with each stdout and stderr. */
export function checkOutput(what: string, text: string): void {
  recordOutput(what, text);
  assertNoTestSecrets(text, what);
}
