/**
 * Authenticators: the headers that authenticate a request, and whether a 401 is worth one retry
 * with new credentials. BearerAuthenticator, ApiKeyAuthenticator (header), BasicHttpAuthenticator,
 * OAuthAuthenticator (oauth.ts), SelectiveAuthenticator (one of several, chosen by a config value)
 * and NoAuth. Every secret they render is registered for redaction.
 */
import { configError, systemError } from "../errors.js";
import { interpolateString } from "../manifest/interpolation.js";
import { secrets } from "../protocol/redact.js";
import type {
  ApiKeyAuthenticator,
  BasicHttpAuthenticator,
  BearerAuthenticator,
  SelectiveAuthenticator,
} from "../manifest/components.generated.js";
import { type Config, type Registry, buildWith, child, isNode, optionalString, rejectUnread, untyped } from "./node.js";
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

/**
 * The first character of `value` an HTTP header cannot carry (a control character, or one beyond
 * Latin-1 such as a zero-width space pasted along with a token), as `U+200B at position 12`.
 */
export function headerUnsafeCharacter(value: string): string | undefined {
  let position = 0;
  for (const char of value) {
    position++;
    const code = char.codePointAt(0)!;
    if (code > 0xff || code === 0x7f || (code < 0x20 && code !== 0x09)) {
      return `U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${position}`;
    }
  }
  return undefined;
}

/** A secret from the config, trimmed: a config_error naming its field when it is empty or cannot go in a header. */
function requiredSecret(template: string, config: Config, where: string, what: string, inHeader = true): string {
  const value = interpolateString(template, { config }).trim();
  const field = configFieldOf(template);
  const named = field ? `The ${what} (${field})` : `The ${what}`;
  if (!value) throw configError(`${named} is missing or empty in the config`, `${where} rendered an empty value`);
  const unsafe = inHeader ? headerUnsafeCharacter(value) : undefined;
  if (unsafe) {
    throw configError(
      `${named} contains a character an HTTP header cannot carry (${unsafe}); copy it again without it`,
      `${where} rendered a value that is not a valid header value`,
    );
  }
  return value;
}

export function buildAuthenticator(node: object | undefined, where: string, config: Config): Authenticator {
  return node ? buildWith(AUTHENTICATORS, node, where, config) : noAuth;
}

function bearer(node: BearerAuthenticator, where: string, config: Config): Authenticator {
  rejectUnread(node, "BearerAuthenticator", where, ["api_token"]);
  const token = requiredSecret(optionalString(node, "api_token", where) ?? "", config, where, "API token");
  secrets.add(token);
  return staticHeaders({ Authorization: `Bearer ${token}` });
}

function apiKey(node: ApiKeyAuthenticator, where: string, config: Config): Authenticator {
  rejectUnread(node, "ApiKeyAuthenticator", where, ["api_token", "header", "inject_into"]);
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

function basic(node: BasicHttpAuthenticator, where: string, config: Config): Authenticator {
  rejectUnread(node, "BasicHttpAuthenticator", where, ["username", "password"]);
  // Base64 carries any character: the username and password are not header values themselves.
  const user = requiredSecret(optionalString(node, "username", where) ?? "", config, where, "username", false);
  const password = interpolateString(optionalString(node, "password", where) ?? "", { config });
  const encoded = Buffer.from(`${user}:${password}`).toString("base64");
  for (const value of [user, password, encoded]) secrets.add(value);
  return staticHeaders({ Authorization: `Basic ${encoded}` });
}

function selective(node: SelectiveAuthenticator, where: string, config: Config): Authenticator {
  rejectUnread(node, "SelectiveAuthenticator", where, ["authenticator_selection_path", "authenticators"]);
  const path: unknown = node.authenticator_selection_path;
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

/** `authenticator` components (OAuthAuthenticator is built by oauth.ts). */
export const AUTHENTICATORS = {
  BearerAuthenticator: bearer,
  ApiKeyAuthenticator: apiKey,
  BasicHttpAuthenticator: basic,
  OAuthAuthenticator: (node, where, config) => oauthAuthenticator(untyped(node), where, config),
  SelectiveAuthenticator: selective,
  NoAuth: (node, where) => {
    rejectUnread(node, "NoAuth", where, []);
    return noAuth;
  },
} satisfies Registry<Config, Authenticator>;
