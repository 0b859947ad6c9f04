/**
 * OAuthAuthenticator (refresh_token grant, PROTOCOL-NOTES §2.3, API-NOTES §6): obtains an access
 * token from the token endpoint with a form-encoded POST and
 *   - refreshes it shortly before it expires (a quarter of its life, at most 5 minutes, early), so
 *     requests in flight keep a valid token; when that early refresh fails for a passing reason,
 *     the token in hand is used while it lasts and the refresh is tried again later;
 *   - refreshes it once after a 401, single-flight: concurrent requests share one refresh, and a
 *     401 for a token that was already replaced just retries with the new one;
 *   - never loops: the caller retries a request once after a refresh, and a refusal by the token
 *     endpoint (wrong client secret, revoked refresh token) is remembered, so later requests fail
 *     with the same config_error without asking the endpoint again.
 * Every stream's requester shares one instance per (endpoint, credentials), so a sync holds one
 * access token. Every token obtained is registered as a secret before it is used.
 */
import { createHash } from "node:crypto";
import { request } from "undici";
import { ConnectorError, configError, systemError, transientError } from "../errors.js";
import { interpolateString } from "../manifest/interpolation.js";
import { secrets } from "../protocol/redact.js";
import type { Authenticator } from "./authenticator.js";
import { type ManifestNode, optionalString } from "./node.js";
import { setTimeout as sleep } from "node:timers/promises";

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

interface Settings {
  endpoint: string;
  form: Record<string, string>;
  accessTokenName: string;
  expiresInName: string;
  retryDelayMs: number;
}


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
  const render = (key: string): string => interpolateString(optionalString(node, key, where) ?? "", { config }).trim();
  const endpoint = render("token_refresh_endpoint");
  if (!endpoint) throw systemError(`Manifest: ${where}.token_refresh_endpoint is required`);
  const grantType = render("grant_type") || "refresh_token";
  const form: Record<string, string> = { grant_type: grantType, client_id: render("client_id"), client_secret: render("client_secret") };
  if (grantType === "refresh_token") form.refresh_token = render("refresh_token");
  // Registered before anything can fail, so no message can carry them.
  for (const value of [form.client_id, form.client_secret, form.refresh_token]) secrets.add(value);
  for (const [key, label] of [
    ["client_id", "OAuth client ID"],
    ["client_secret", "OAuth client secret"],
    ["refresh_token", "OAuth refresh token"],
  ] as const) {
    if (key in form && !form[key]) throw configError(`The ${label} (credentials.${key}) is missing or empty in the config`);
  }
  const scopes = node.scopes;
  if (Array.isArray(scopes) && scopes.length) form.scope = scopes.map(String).join(" ");
  const knob = Number(config._backoff_base_seconds);
  return {
    endpoint,
    form,
    accessTokenName: render("access_token_name") || "access_token",
    expiresInName: render("expires_in_name") || "expires_in",
    retryDelayMs: Number.isFinite(knob) && knob > 0 ? knob * 1000 : DEFAULT_RETRY_DELAY_MS,
  };
}

function headerValue(headers: Record<string, string> | undefined): string | undefined {
  if (!headers) return undefined;
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === "authorization") return value;
  return undefined;
}

/** The endpoint without query or fragment (never with credentials: base_url may not carry any). */
function endpointForMessages(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return "the configured token endpoint";
  }
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
        const refused = error instanceof ConnectorError && error.failureType === "config_error";
        if (refused || !current || Date.now() >= current.expiresAt - RETRY_SAFETY_MS) throw error;
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
            if (error instanceof ConnectorError && error.failureType === "config_error") this.refusal = error;
            throw error;
          },
        )
        .finally(() => {
          this.inFlight = undefined;
        });
    }
    return this.inFlight;
  }

  private async obtain(after401: boolean): Promise<TokenState> {
    const { endpoint, form, accessTokenName, expiresInName, retryDelayMs } = this.settings;
    const where = endpointForMessages(endpoint);
    let lastProblem = "";
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(retryDelayMs * (attempt - 1));
      const requestedAt = Date.now();
      let status: number;
      let text: string;
      try {
        const response = await request(endpoint, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: new URLSearchParams(form).toString(),
          headersTimeout: ENDPOINT_TIMEOUT_MS,
          bodyTimeout: ENDPOINT_TIMEOUT_MS,
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        lastProblem = `network error${typeof code === "string" ? ` ${code}` : ""}: ${(error as Error).message}`;
        continue;
      }
      const body = parseObject(text);
      if (status >= 200 && status < 300) {
        const value = body?.[accessTokenName];
        if (typeof value !== "string" || !value.trim()) {
          throw configError(
            `The OAuth token endpoint ${where} answered HTTP ${status} without an ${accessTokenName}; ` +
              "it does not look like Asana's token endpoint (https://app.asana.com/-/oauth_token). Check base_url.",
          );
        }
        secrets.add(value);
        if (typeof body?.refresh_token === "string") secrets.add(body.refresh_token);
        const seconds = Number(body?.[expiresInName]);
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
      if (status === 408 || status === 429 || status >= 500) {
        lastProblem = `HTTP ${status}${oauthReason(body)}`;
        continue;
      }
      throw refusalError(status, body, where);
    }
    throw transientError(
      `Could not refresh the OAuth access token: the token endpoint ${where} failed ${MAX_ATTEMPTS} times (${lastProblem}). ` +
        "Asana may be unavailable; try again later.",
    );
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** ` (code: description)` from an OAuth error body, shortened; empty when there is none. */
function oauthReason(body: Record<string, unknown> | undefined): string {
  if (!body || typeof body.error !== "string") return "";
  const description = typeof body.error_description === "string" ? `: ${body.error_description.slice(0, 200)}` : "";
  return ` (${body.error.slice(0, 60)}${description})`;
}

/** A 4xx answer of the token endpoint: what the user has to fix. */
function refusalError(status: number, body: Record<string, unknown> | undefined, where: string): ConnectorError {
  const code = typeof body?.error === "string" ? body.error : undefined;
  const reason = oauthReason(body);
  if (code === "invalid_client" || (!code && status === 401)) {
    return configError(
      `Asana rejected the OAuth client when refreshing the access token (HTTP ${status}${reason}): ` +
        "credentials.client_id or credentials.client_secret is wrong. Copy both from your app in Asana's developer console (https://app.asana.com/0/my-apps).",
    );
  }
  if (code === "invalid_grant") {
    return configError(
      `Asana rejected the OAuth refresh token (HTTP ${status}${reason}): credentials.refresh_token is invalid, expired or revoked. ` +
        "Re-authenticate the source with Asana to get a new refresh token.",
    );
  }
  if (!code && (status === 404 || status === 405)) {
    return configError(
      `The OAuth token endpoint ${where} answered HTTP ${status}: it is not Asana's token endpoint (https://app.asana.com/-/oauth_token). Check base_url.`,
    );
  }
  return configError(
    `Asana refused to refresh the OAuth access token (HTTP ${status}${reason}). ` +
      "Check credentials.client_id, credentials.client_secret and credentials.refresh_token, or re-authenticate the source.",
  );
}
