/**
 * Secret redaction for every byte the connector writes (stdout, stderr). Secrets are collected
 * from the config: values at spec properties marked `airbyte_secret`, and any string under a key
 * that names a credential; authenticators add the tokens they obtain or derive. Each is replaced,
 * raw, trimmed, JSON-escaped and URL-encoded (as in a query or a form body), by a mask.
 */
import { propertySchema } from "../json-schema.js";

const MASK = "**********";
const SECRET_KEY = /token|secret|password|api_?key|credential|authorization/i;
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  private secrets: string[] = [];

  add(value: unknown): void {
    if (typeof value !== "string") return;
    // Authenticators send a config value trimmed: mask it both ways.
    const values = Array.from(new Set([value, value.trim()])).filter((v) => v.length >= MIN_SECRET_LENGTH);
    const forms = values.flatMap((v) => [
      v,
      JSON.stringify(v).slice(1, -1),
      encodeURIComponent(v),
      new URLSearchParams({ v }).toString().slice(2),
    ]);
    for (const form of forms) if (!this.secrets.includes(form)) this.secrets.push(form);
    // Longest first, so a secret that contains another is masked whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Registers the secrets of a config, guided by the spec's `airbyte_secret` marks. */
  addFromConfig(config: unknown, spec?: Record<string, unknown>): void {
    const visit = (value: unknown, schema: unknown, key: string | undefined): void => {
      const node = schema && typeof schema === "object" ? (schema as Record<string, unknown>) : undefined;
      if (typeof value === "string") {
        if (node?.airbyte_secret === true || (key !== undefined && SECRET_KEY.test(key))) this.add(value);
        return;
      }
      if (Array.isArray(value)) {
        for (const item of value) visit(item, node?.items, key);
        return;
      }
      if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) visit(v, propertySchema(node, k), k);
      }
    };
    visit(config, spec, undefined);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  }
}

/**
 * The process-wide registry: the CLIs register the config's secrets here, and authenticators
 * register the access tokens they obtain, so every writer masks them all.
 */
export const secrets = new Redactor();
