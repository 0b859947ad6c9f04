/**
 * Authenticators: BearerAuthenticator, ApiKeyAuthenticator (header), BasicHttpAuthenticator,
 * OAuthAuthenticator (oauth.ts), SelectiveAuthenticator and NoAuth.
 */
import { configError, systemError } from "../errors.js";
import { interpolateString } from "../manifest/interpolation.js";
import { secrets } from "../protocol/redact.js";
import { type ManifestNode, child, isNode, nodeType, optionalString, unsupported } from "./node.js";
import { oauthAuthenticator } from "./oauth.js";

export interface Authenticator {
  /** Headers to send with a request. */
  headers(): Promise<Record<string, string>>;
  /**
   * Called after a 401; true when new credentials were obtained (or had already replaced the ones
   * the request carried) and one retry makes sense. `used`: the headers the failed request
   * carried, so a 401 for credentials that were already replaced does not refresh again.
   */
  refreshAfterUnauthorized(used?: Record<string, string>): Promise<boolean>;
}

const noAuth: Authenticator = {
  headers: async () => ({}),
  refreshAfterUnauthorized: async () => false,
};

function staticHeaders(headers: Record<string, string>): Authenticator {
  return { headers: async () => headers, refreshAfterUnauthorized: async () => false };
}

/**
 * The config field a template reads, for messages: `{{ config['credentials']['token'] }}` and
 * `{{ config.credentials.token }}` give "credentials.token".
 */
export function configFieldOf(template: string): string | undefined {
  const match = /config((?:\[\s*['"][^'"]+['"]\s*\]|\.get\(\s*['"][^'"]+['"][^)]*\)|\.[A-Za-z_][A-Za-z0-9_]*)+)/.exec(template);
  if (!match) return undefined;
  const keys = [...match[1]!.matchAll(/\[\s*['"]([^'"]+)['"]\s*\]|\.get\(\s*['"]([^'"]+)['"]|\.([A-Za-z_][A-Za-z0-9_]*)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3])
    .filter((k): k is string => k !== undefined && k !== "get");
  return keys.length ? keys.join(".") : undefined;
}

function requiredSecret(template: string, config: Record<string, unknown>, where: string, what: string): string {
  const value = interpolateString(template, { config });
  if (!value.trim()) {
    const field = configFieldOf(template);
    throw configError(
      field ? `The ${what} (${field}) is missing or empty in the config` : `The ${what} is missing or empty in the config`,
      `${where} rendered an empty value`,
    );
  }
  return value.trim();
}

export function buildAuthenticator(
  node: ManifestNode | undefined,
  where: string,
  config: Record<string, unknown>,
): Authenticator {
  if (!node) return noAuth;
  switch (nodeType(node)) {
    case "NoAuth":
      return noAuth;
    case "BearerAuthenticator": {
      const token = requiredSecret(optionalString(node, "api_token", where) ?? "", config, where, "API token");
      secrets.add(token);
      return staticHeaders({ Authorization: `Bearer ${token}` });
    }
    case "ApiKeyAuthenticator": {
      const token = requiredSecret(optionalString(node, "api_token", where) ?? "", config, where, "API key");
      const option = isNode(node.inject_into) ? node.inject_into : undefined;
      const target = option ? (optionalString(option, "inject_into", where) ?? "header") : "header";
      if (target !== "header") {
        throw systemError(`Manifest: ${where}.inject_into.inject_into is "${target}"; this runtime sends API keys as headers only`);
      }
      const header = optionalString(node, "header", where) ?? (option ? optionalString(option, "field_name", where) : undefined);
      if (!header) throw systemError(`Manifest: ${where} needs header or inject_into.field_name`);
      secrets.add(token);
      return staticHeaders({ [header]: token });
    }
    case "BasicHttpAuthenticator": {
      const user = requiredSecret(optionalString(node, "username", where) ?? "", config, where, "username");
      const password = interpolateString(optionalString(node, "password", where) ?? "", { config });
      const encoded = Buffer.from(`${user}:${password}`).toString("base64");
      for (const value of [user, password, encoded]) secrets.add(value);
      return staticHeaders({ Authorization: `Basic ${encoded}` });
    }
    case "OAuthAuthenticator":
      return oauthAuthenticator(node, where, config);
    case "SelectiveAuthenticator": {
      const path = node.authenticator_selection_path;
      if (!Array.isArray(path)) throw systemError(`Manifest: ${where}.authenticator_selection_path must be a list`);
      const options = child(node, "authenticators", where);
      let selected: unknown = config;
      for (const key of path) selected = isNode(selected) ? selected[String(key)] : undefined;
      const choice = typeof selected === "string" ? options[selected] : undefined;
      if (!isNode(choice)) {
        throw configError(
          `The config's ${path.join(".")} must be one of ${Object.keys(options).map((o) => JSON.stringify(o)).join(", ")}` +
            (selected === undefined ? " (it is missing)" : ` (got ${JSON.stringify(selected)})`),
        );
      }
      return buildAuthenticator(choice, `${where}.authenticators.${String(selected)}`, config);
    }
    default:
      return unsupported(node, where, [
        "BearerAuthenticator",
        "ApiKeyAuthenticator",
        "BasicHttpAuthenticator",
        "OAuthAuthenticator",
        "SelectiveAuthenticator",
        "NoAuth",
      ]);
  }
}
