/**
 * OAuthAuthenticator (refresh_token grant): obtains an access token from the token endpoint with
 * a form-encoded POST and
 *   - refreshes it shortly before it expires (a quarter of its life, at most 5 minutes, early), so
 *     requests in flight keep a valid token; when that early refresh fails for a passing reason,
 *     the token in hand is used while it lasts and the refresh is tried again later;
 *   - refreshes it once after a 401, single-flight: concurrent requests share one refresh, and a
 *     401 for a token that was already replaced just retries with the new one;
 *   - never loops: the sender retries a request once after a refresh, and a refusal by the token
 *     endpoint (wrong client secret, revoked refresh token) is remembered, so later requests fail
 *     with the same config_error without asking the endpoint again.
 * The token requests go through the HTTP sender like every other request; this module only says
 * what the endpoint's answers mean (`tokenEndpointHandler`). Messages name the config fields the
 * manifest's templates read (`{{ config['auth']['refresh_token'] }}` gives `auth.refresh_token`),
 * never a provider.
 * Every stream's requester shares one instance per (endpoint, credentials), so a sync holds one
 * access token. Every token obtained is registered as a secret before it is used.
 */
import { createHash } from "node:crypto";
import { ConnectorError, configError, isConfigError, systemError, transientError } from "../errors.js";
import { HttpClient } from "../http/client.js";
import { describeAnswer, send, urlForMessages } from "../http/sender.js";
import { testHookValue } from "../engine/settings.js";
import { interpolateString } from "../manifest/interpolation.js";
import { secrets } from "../protocol/redact.js";
import { type Authenticator, configFieldOf } from "./authenticator.js";
import type { ErrorHandler, HttpAnswer, Resolution } from "./error-handler.js";
import { type ManifestNode, isNode, optionalString } from "./node.js";

/** Refresh this long before expiry at most (tokens living 1 hour are refreshed 5 minutes early). */
const MAX_REFRESH_MARGIN_MS = 5 * 60_000;
/** ... and at most this share of the token's life early (short-lived tokens are not refreshed in a loop). */
const REFRESH_MARGIN_SHARE = 0.25;
const DEFAULT_LIFETIME_SECONDS = 3600;
const MAX_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MS = 500;
const ENDPOINT_TIMEOUT_MS = 30_000;
/**
 * Without knowing which token a failed request carried, a 401 that arrives this soon after a
 * refresh caused by an earlier 401 is taken to answer a request sent with the replaced token.
 */
const STALE_401_WINDOW_MS = 5_000;
/** A token this close to its expiry is not handed out when a refresh fails. */
const RETRY_SAFETY_MS = 1_000;

interface TokenState {
  /** The Authorization header value. */
  header: string;
  obtainedAt: number;
  /** When headers() starts a refresh instead of handing the token out. */
  refreshAt: number;
  /** When the endpoint said it expires (measured from the request for it). */
  expiresAt: number;
  /** How many requests were given this token. */
  handedOut: number;
  /** Obtained because a request was answered 401. */
  after401: boolean;
}

/** The config fields behind the credentials and the endpoint, as the manifest's templates read them. */
interface FieldNames {
  client_id: string | undefined;
  client_secret: string | undefined;
  refresh_token: string | undefined;
  /** The config field the token_refresh_endpoint is made from (e.g. a base URL), if any. */
  endpoint: string | undefined;
}

interface Settings {
  endpoint: string;
  form: Record<string, string>;
  accessTokenName: string;
  expiresInName: string;
  retryDelayMs: number;
  fields: FieldNames;
}

const LABELS = { client_id: "OAuth client ID", client_secret: "OAuth client secret", refresh_token: "OAuth refresh token" } as const;
type Credential = keyof typeof LABELS;

/** Token requests use undici's shared pool: a handful per sync, to another host than the API's. */
const tokenEndpointClient = new HttpClient({ timeoutMs: ENDPOINT_TIMEOUT_MS });

/** One instance per endpoint and credentials in this process (every stream's requester shares it). */
const shared = new Map<string, OAuthAuthenticator>();

export function oauthAuthenticator(node: ManifestNode, where: string, config: Record<string, unknown>): OAuthAuthenticator {
  const settings = settingsOf(node, where, config);
  const key = createHash("sha256")
    .update(JSON.stringify([settings.endpoint, settings.form, settings.accessTokenName, settings.expiresInName]))
    .digest("hex");
  let auth = shared.get(key);
  if (!auth) {
    auth = new OAuthAuthenticator(settings);
    shared.set(key, auth);
  }
  return auth;
}

function settingsOf(node: ManifestNode, where: string, config: Record<string, unknown>): Settings {
  const template = (key: string): string => optionalString(node, key, where) ?? "";
  const render = (key: string): string => interpolateString(template(key), { config }).trim();
  const endpoint = render("token_refresh_endpoint");
  if (!endpoint) throw systemError(`Manifest: ${where}.token_refresh_endpoint is required`);
  const grantType = render("grant_type") || "refresh_token";
  const form: Record<string, string> = { grant_type: grantType, client_id: render("client_id"), client_secret: render("client_secret") };
  if (grantType === "refresh_token") form.refresh_token = render("refresh_token");
  // Registered before anything can fail, so no message can carry them.
  for (const value of [form.client_id, form.client_secret, form.refresh_token]) secrets.add(value);
  const fields: FieldNames = {
    client_id: configFieldOf(template("client_id")),
    client_secret: configFieldOf(template("client_secret")),
    refresh_token: configFieldOf(template("refresh_token")),
    endpoint: configFieldOf(template("token_refresh_endpoint")),
  };
  for (const key of Object.keys(LABELS) as Credential[]) {
    if (key in form && !form[key]) {
      const field = fields[key];
      throw configError(`The ${LABELS[key]}${field ? ` (${field})` : ""} is missing or empty in the config`, `${where}.${key} rendered an empty value`);
    }
  }
  const scopes = node.scopes;
  if (Array.isArray(scopes) && scopes.length) form.scope = scopes.map(String).join(" ");
  return {
    endpoint,
    form,
    accessTokenName: render("access_token_name") || "access_token",
    expiresInName: render("expires_in_name") || "expires_in",
    // The backoff test hook (1 for users) scales it down in tests.
    retryDelayMs: DEFAULT_RETRY_DELAY_MS * testHookValue(config, "backoffBaseSeconds"),
    fields,
  };
}

function headerValue(headers: Record<string, string> | undefined): string | undefined {
  if (!headers) return undefined;
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === "authorization") return value;
  return undefined;
}

export class OAuthAuthenticator implements Authenticator {
  private token: TokenState | undefined;
  private inFlight: Promise<TokenState> | undefined;
  /** A refusal by the token endpoint: it will not change during this run. */
  private refusal: ConnectorError | undefined;
  /** After an early refresh failed transiently, the next attempt waits until then. */
  private retryAt = 0;

  constructor(private readonly settings: Settings) {}

  async headers(): Promise<Record<string, string>> {
    let token = this.token;
    if (!token || (Date.now() >= token.refreshAt && Date.now() >= this.retryAt)) {
      try {
        token = await this.refresh(false);
      } catch (error) {
        // An early refresh that failed for a passing reason: the token in hand still works for a while.
        const current = this.token;
        if (isConfigError(error) || !current || Date.now() >= current.expiresAt - RETRY_SAFETY_MS) throw error;
        this.retryAt = Date.now() + Math.min(30_000, (current.expiresAt - Date.now()) / 4);
        token = current;
      }
    }
    token.handedOut++;
    return { Authorization: token.header };
  }

  /**
   * After a 401. `used` (the headers the failed request carried) makes the decision exact; without
   * it, a token nobody was given yet, or one obtained moments ago because of another 401, is taken
   * as the replacement of the token the request carried.
   */
  async refreshAfterUnauthorized(used?: Record<string, string>): Promise<boolean> {
    if (this.refusal) throw this.refusal;
    if (this.inFlight) {
      await this.inFlight;
      return true;
    }
    const current = this.token;
    if (current) {
      const carried = headerValue(used);
      if (carried !== undefined) {
        if (carried !== current.header) return true;
      } else if (current.handedOut === 0 || (current.after401 && Date.now() - current.obtainedAt < STALE_401_WINDOW_MS)) {
        return true;
      }
    }
    await this.refresh(true);
    return true;
  }

  private refresh(after401: boolean): Promise<TokenState> {
    if (this.refusal) return Promise.reject(this.refusal);
    if (!this.inFlight) {
      this.inFlight = this.obtain(after401)
        .then(
          (token) => {
            this.token = token;
            return token;
          },
          (error: unknown) => {
            if (isConfigError(error)) this.refusal = error;
            throw error;
          },
        )
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  /** One token request through the sender, retried while the endpoint is unavailable. */
  private async obtain(after401: boolean): Promise<TokenState> {
    const { endpoint, form, retryDelayMs } = this.settings;
    const where = urlForMessages(endpoint);
    let requestedAt = Date.now();
    const final = await send(
      {
        method: "POST",
        url: endpoint,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form).toString(),
      },
      {
        transport: (request) => {
          requestedAt = Date.now();
          return tokenEndpointClient.send(request);
        },
        handler: tokenEndpointHandler(this.settings),
        limits: { maxRateLimitWaits: 0, backoffBaseSeconds: retryDelayMs / 1000 },
        what: `the OAuth token endpoint ${where}`,
        retriesSpent: (problem, attempts) =>
          transientError(
            `Could not refresh the OAuth access token: the token endpoint ${where} failed ${attempts} times (${problem}). ` +
              "The service may be unavailable; try again later.",
          ),
      },
    );
    return this.tokenOf(bodyObject(final.answer), requestedAt, after401);
  }

  private tokenOf(body: Record<string, unknown> | undefined, requestedAt: number, after401: boolean): TokenState {
    // The handler let only an answer with a non-empty access token through.
    const value = String(body?.[this.settings.accessTokenName]);
    secrets.add(value);
    if (typeof body?.refresh_token === "string") secrets.add(body.refresh_token);
    const seconds = Number(body?.[this.settings.expiresInName]);
    const lifetimeMs = (Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_LIFETIME_SECONDS) * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs * REFRESH_MARGIN_SHARE);
    return {
      header: `Bearer ${value}`,
      obtainedAt: Date.now(),
      refreshAt: requestedAt + lifetimeMs - margin,
      expiresAt: requestedAt + lifetimeMs,
      handedOut: 0,
      after401,
    };
  }
}

function bodyObject(answer: HttpAnswer): Record<string, unknown> | undefined {
  return isNode(answer.body) ? answer.body : undefined;
}

/**
 * What the token endpoint's answers mean: a 2xx with an access token is the token; network
 * errors, 408, 429 and 5xx are passing (retried twice, half a second apart, growing); any other
 * answer, and a 2xx without a token, is a refusal the user has to fix (a config_error).
 */
function tokenEndpointHandler(settings: Settings): ErrorHandler {
  const where = urlForMessages(settings.endpoint);
  const refused = (message: string): Resolution => ({ action: "FAIL", failureType: "config_error", message });
  return {
    maxRetries: MAX_ATTEMPTS - 1,
    backoff: (_answer, attempt) => (settings.retryDelayMs * attempt) / 1000,
    resolve(answer) {
      const { status } = answer;
      const body = bodyObject(answer);
      if (status === 0) return { action: "RETRY", failureType: "transient_error", problem: describeAnswer(answer) };
      if (status >= 200 && status < 300) {
        const value = body?.[settings.accessTokenName];
        if (typeof value === "string" && value.trim()) return { action: "SUCCESS", failureType: "system_error" };
        return refused(
          `The OAuth token endpoint ${where} answered HTTP ${status} without an ${settings.accessTokenName}; ` +
            `it does not look like an OAuth token endpoint. ${checkEndpoint(settings.fields)}`,
        );
      }
      if (status === 408 || status === 429 || status >= 500) {
        return { action: "RETRY", failureType: "transient_error", problem: `HTTP ${status}${oauthReason(body)}` };
      }
      return refused(refusalMessage(status, body, where, settings.fields));
    },
  };
}

/** ` (code: description)` from an OAuth error body, shortened; empty when there is none. */
function oauthReason(body: Record<string, unknown> | undefined): string {
  if (!body || typeof body.error !== "string") return "";
  const description = typeof body.error_description === "string" ? `: ${body.error_description.slice(0, 200)}` : "";
  return ` (${body.error.slice(0, 60)}${description})`;
}

/** The config field the template reads ("auth.client_id"), or "the OAuth client ID" when it reads none. */
function nameOf(fields: FieldNames, key: Credential): string {
  return fields[key] ?? `the ${LABELS[key]}`;
}

function checkEndpoint(fields: FieldNames): string {
  return fields.endpoint ? `Check ${fields.endpoint}.` : "Check the manifest's token_refresh_endpoint.";
}

/** A 4xx answer of the token endpoint: what the user has to fix. */
function refusalMessage(status: number, body: Record<string, unknown> | undefined, where: string, fields: FieldNames): string {
  const code = typeof body?.error === "string" ? body.error : undefined;
  const reason = oauthReason(body);
  if (code === "invalid_client" || (!code && status === 401)) {
    return (
      `The token endpoint rejected the OAuth client when refreshing the access token (HTTP ${status}${reason}): ` +
      `${nameOf(fields, "client_id")} or ${nameOf(fields, "client_secret")} is wrong. Copy both from the OAuth app's settings.`
    );
  }
  if (code === "invalid_grant") {
    return (
      `The token endpoint rejected the OAuth refresh token (HTTP ${status}${reason}): ${nameOf(fields, "refresh_token")} is invalid, expired or revoked. ` +
      "Re-authenticate the source to get a new refresh token."
    );
  }
  if (!code && (status === 404 || status === 405)) {
    return `The OAuth token endpoint ${where} answered HTTP ${status}: there is no OAuth token endpoint at that address. ${checkEndpoint(fields)}`;
  }
  return (
    `The token endpoint refused to refresh the OAuth access token (HTTP ${status}${reason}). ` +
    `Check ${nameOf(fields, "client_id")}, ${nameOf(fields, "client_secret")} and ${nameOf(fields, "refresh_token")}, or re-authenticate the source.`
  );
}
