/**
 * Authenticators: BearerAuthenticator, ApiKeyAuthenticator (header), BasicHttpAuthenticator,
 * OAuthAuthenticator (oauth.ts), SelectiveAuthenticator and NoAuth.
 */
import { configError, systemError } from "../errors.js";
import { interpolateString } from "../manifest/interpolation.js";
import { type ManifestNode, child, isNode, nodeType, optionalString, unsupported } from "./node.js";
import { OAuthAuthenticator } from "./oauth.js";

export interface Authenticator {
  /** Headers to send with a request. */
  headers(): Promise<Record<string, string>>;
  /** Called after a 401; true when new credentials were obtained and one retry makes sense. */
  refreshAfterUnauthorized(): Promise<boolean>;
}

const noAuth: Authenticator = {
  headers: async () => ({}),
  refreshAfterUnauthorized: async () => false,
};

function staticHeaders(headers: Record<string, string>): Authenticator {
  return { headers: async () => headers, refreshAfterUnauthorized: async () => false };
}

function requiredSecret(template: string, config: Record<string, unknown>, where: string, what: string): string {
  const value = interpolateString(template, { config });
  if (!value.trim()) throw configError(`The ${what} is missing from the config (${where})`);
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
      return staticHeaders({ Authorization: `Bearer ${token}` });
    }
    case "ApiKeyAuthenticator": {
      const token = requiredSecret(optionalString(node, "api_token", where) ?? "", config, where, "API key");
      const option = isNode(node.inject_into) ? node.inject_into : undefined;
      const header = optionalString(node, "header", where) ?? (option ? optionalString(option, "field_name", where) : undefined);
      if (!header) throw systemError(`Manifest: ${where} needs header or inject_into.field_name`);
      return staticHeaders({ [header]: token });
    }
    case "BasicHttpAuthenticator": {
      const user = requiredSecret(optionalString(node, "username", where) ?? "", config, where, "username");
      const password = interpolateString(optionalString(node, "password", where) ?? "", { config });
      return staticHeaders({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
    }
    case "OAuthAuthenticator":
      return new OAuthAuthenticator(node, where, config);
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
