/**
 * OAuthAuthenticator (refresh_token grant, PROTOCOL-NOTES §2.3): obtains an access token from the
 * token endpoint with a form-encoded POST, refreshes it shortly before it expires, and once after
 * a 401 (single-flight: concurrent requests share one refresh; a 401 on a token that was already
 * replaced just retries with the new one). Every token it obtains is registered as a secret.
 */
import { request } from "undici";
import { configError, systemError, transientError } from "../errors.js";
import { interpolateString } from "../manifest/interpolation.js";
import { secrets } from "../protocol/redact.js";
import type { Authenticator } from "./authenticator.js";
import { type ManifestNode, optionalString } from "./node.js";

/** Refresh when less than this is left of the token's life. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const MAX_ATTEMPTS = 3;

interface TokenState {
  value: string;
  expiresAt: number;
  obtainedAt: number;
}

/** A token younger than this is not refreshed again after a 401. */
const FRESH_MS = 10_000;

export class OAuthAuthenticator implements Authenticator {
  private token: TokenState | undefined;
  private inFlight: Promise<TokenState> | undefined;
  private readonly endpoint: string;
  private readonly form: Record<string, string>;
  private readonly accessTokenName: string;
  private readonly expiresInName: string;

  constructor(node: ManifestNode, where: string, config: Record<string, unknown>) {
    const render = (key: string): string => interpolateString(optionalString(node, key, where) ?? "", { config }).trim();
    this.endpoint = render("token_refresh_endpoint");
    if (!this.endpoint) throw systemError(`Manifest: ${where}.token_refresh_endpoint is required`);
    const grantType = render("grant_type") || "refresh_token";
    this.form = { grant_type: grantType, client_id: render("client_id"), client_secret: render("client_secret") };
    if (grantType === "refresh_token") this.form.refresh_token = render("refresh_token");
    for (const [key, label] of [
      ["client_id", "OAuth client ID"],
      ["client_secret", "OAuth client secret"],
      ["refresh_token", "OAuth refresh token"],
    ] as const) {
      if (key in this.form && !this.form[key]) throw configError(`The ${label} is missing from the config (credentials.${key})`);
    }
    const scopes = node.scopes;
    if (Array.isArray(scopes) && scopes.length) this.form.scope = scopes.map(String).join(" ");
    this.accessTokenName = render("access_token_name") || "access_token";
    this.expiresInName = render("expires_in_name") || "expires_in";
    for (const value of [this.form.client_secret, this.form.refresh_token]) secrets.add(value);
  }

  async headers(): Promise<Record<string, string>> {
    const token =
      this.token && this.token.expiresAt - Date.now() > REFRESH_MARGIN_MS ? this.token : await this.refresh();
    return { Authorization: `Bearer ${token.value}` };
  }

  async refreshAfterUnauthorized(): Promise<boolean> {
    if (this.inFlight) {
      await this.inFlight;
      return true;
    }
    // A token obtained moments ago (by a concurrent request) is the fix for this 401: retry with it.
    if (this.token && Date.now() - this.token.obtainedAt < FRESH_MS) return true;
    await this.refresh(true);
    return true;
  }

  private refresh(force = false): Promise<TokenState> {
    if (!force && this.token && this.token.expiresAt - Date.now() > REFRESH_MARGIN_MS) return Promise.resolve(this.token);
    this.inFlight ??= this.obtain().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async obtain(): Promise<TokenState> {
    let lastProblem = "";
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let status: number;
      let text: string;
      try {
        const response = await request(this.endpoint, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
          body: new URLSearchParams(this.form).toString(),
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        lastProblem = `network error: ${(error as Error).message}`;
        await new Promise((r) => setTimeout(r, 500 * attempt));
        continue;
      }
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON; handled below
      }
      if (status >= 200 && status < 300) {
        const value = body[this.accessTokenName];
        if (typeof value !== "string" || !value) {
          throw systemError(`The OAuth token endpoint answered without an ${this.accessTokenName}`);
        }
        secrets.add(value);
        if (typeof body.refresh_token === "string") secrets.add(body.refresh_token);
        const expiresIn = Number(body[this.expiresInName]);
        this.token = {
          value,
          expiresAt: Date.now() + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600) * 1000,
          obtainedAt: Date.now(),
        };
        return this.token;
      }
      const reason = typeof body.error === "string" ? `${body.error}${typeof body.error_description === "string" ? `: ${body.error_description}` : ""}` : `HTTP ${status}`;
      if (status >= 400 && status < 500) {
        throw configError(
          `Asana refused the OAuth credentials when refreshing the access token (${reason}). ` +
            "Re-authenticate the source to get a new refresh token, and check the client ID and secret.",
        );
      }
      lastProblem = reason;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
    throw transientError(`Could not refresh the OAuth access token after ${MAX_ATTEMPTS} attempts (${lastProblem})`);
  }
}
