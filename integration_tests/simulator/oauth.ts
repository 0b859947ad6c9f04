/**
 * Asana's OAuth token endpoint (https://developers.asana.com/docs/oauth), refresh-token grant only: `POST /-/oauth_token`
 * with a form-encoded (or JSON) body `grant_type=refresh_token&client_id&client_secret&refresh_token`
 * (client credentials may also come as HTTP Basic). Each issued access token is a fresh random
 * string accepted as a bearer token until it expires on the simulated clock.
 *
 *   200 {access_token, expires_in, token_type: "bearer", data: {id, gid, name, email}}
 *   400 {error: "invalid_request"}   grant type other than refresh_token, or a missing field
 *   401 {error: "invalid_client"}    unknown client id or wrong secret (or OAuth not configured)
 *   400 {error: "invalid_grant"}     wrong refresh token
 */
import { randomBytes } from "node:crypto";
import type { OAuthOptions } from "./options.js";

export interface TokenOwner {
  gid: string;
  name: string;
  email: string;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

export class OAuthServer {
  /** Issued access token -> expiry (simulated epoch ms). */
  private readonly issued = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Whether `token` is an issued access token that has not expired. */
  accepts(token: string): boolean {
    const expiry = this.issued.get(token);
    return expiry !== undefined && this.now() < expiry;
  }

  /** Every issued access token expires now. */
  expireAll(): void {
    const now = this.now();
    for (const token of this.issued.keys()) this.issued.set(token, now);
  }

  /** The number of access tokens issued so far. */
  get issuedCount(): number {
    return this.issued.size;
  }

  handle(rawBody: string, contentType: string | undefined, authorization: string | undefined, config: Required<OAuthOptions> | null, owner: TokenOwner): TokenResponse {
    const params = parseBody(rawBody, contentType);
    const basic = authorization === undefined ? null : /^Basic\s+(\S+)\s*$/i.exec(authorization);
    if (basic !== null) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon >= 0) {
        if (!params.has("client_id")) params.set("client_id", decodeURIComponent(decoded.slice(0, colon)));
        if (!params.has("client_secret")) params.set("client_secret", decodeURIComponent(decoded.slice(colon + 1)));
      }
    }
    const error = (status: number, code: string, description: string): TokenResponse => ({ status, body: { error: code, error_description: description } });
    const grantType = params.get("grant_type");
    if (grantType === null || grantType === "") return error(400, "invalid_request", "The `grant_type` parameter is missing.");
    if (grantType !== "refresh_token") return error(400, "invalid_request", `The grant type \`${grantType}\` is not supported; use \`refresh_token\`.`);
    for (const field of ["client_id", "client_secret", "refresh_token"]) {
      const value = params.get(field);
      if (value === null || value === "") return error(400, "invalid_request", `The \`${field}\` parameter is missing.`);
    }
    if (config === null || params.get("client_id") !== config.clientId || params.get("client_secret") !== config.clientSecret) {
      return error(401, "invalid_client", "The client ID or client secret is invalid.");
    }
    if (params.get("refresh_token") !== config.refreshToken) return error(400, "invalid_grant", "The `refresh_token` is invalid or has been revoked.");
    const accessToken = `sim-oauth-${randomBytes(16).toString("hex")}`;
    this.issued.set(accessToken, this.now() + config.accessTokenTtlSeconds * 1000);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        expires_in: config.accessTokenTtlSeconds,
        token_type: "bearer",
        data: { id: Number(owner.gid), gid: owner.gid, name: owner.name, email: owner.email },
      },
    };
  }
}

function parseBody(raw: string, contentType: string | undefined): URLSearchParams {
  if (contentType !== undefined && /^application\/json\b/i.test(contentType)) {
    try {
      const parsed: unknown = JSON.parse(raw);
      const out = new URLSearchParams();
      if (typeof parsed === "object" && parsed !== null) {
        for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === "string") out.set(k, v);
      }
      return out;
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(raw);
}
