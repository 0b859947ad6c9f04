/**
 * The runtime extension `config_must_match` of a DeclarativeStream: config values that must each
 * name some record of the stream (e.g. "every value of config.workspaces is the gid or the name
 * of a workspace the credentials can read"). The stream's own record filter usually narrows the
 * sync to those values; without this rule a typo would narrow it to nothing, silently. The rule
 * reads the records before the record filter. Airbyte's runtime ignores the key (the filter still
 * applies there; only the error for a value that matches nothing is this runtime's). Name
 * record fields the API always returns (Asana's compact fields, `gid` and `name`): a catalog
 * that narrows the stream's columns asks for the selected fields only.
 */
import { systemError } from "../errors.js";
import type { ConfigMustMatch } from "../manifest/extensions.js";
import { type ApiRecord, valueAt } from "./record-selector.js";
import { type Config, isNode } from "./node.js";

export interface ConfigMatchRule {
  /** The config field holding the values (a list of strings, or one string). */
  configField: string;
  /** Record fields (paths with `/`) any of which may equal a value. */
  recordFields: string[][];
}

export function parseConfigMatches(raw: unknown, where: string): ConfigMatchRule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw systemError(`Manifest: ${where} must be a list of {config_field, record_fields}`);
  return raw.map((entry: unknown, i) => parseRule(entry, `${where}[${i}]`));
}

function parseRule(entry: unknown, where: string): ConfigMatchRule {
  if (!isNode(entry)) throw systemError(`Manifest: ${where} must be an object with config_field and record_fields`);
  const rule = entry as Partial<ConfigMustMatch>;
  if (typeof rule.config_field !== "string" || !rule.config_field) throw systemError(`Manifest: ${where}.config_field must be a config field name`);
  const fields: unknown = rule.record_fields;
  if (!Array.isArray(fields) || !fields.length || !fields.every((f) => typeof f === "string" && f)) {
    throw systemError(`Manifest: ${where}.record_fields must be a non-empty list of record field paths`);
  }
  return { configField: rule.config_field, recordFields: (fields as string[]).map((f) => f.split("/")) };
}

/** The values a rule asks for in this config (none: the rule is off). */
export function configValuesOf(rule: ConfigMatchRule, config: Config): string[] {
  const raw = config[rule.configField];
  const list: unknown[] = Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === "" ? [] : [raw];
  return list.filter((v) => typeof v === "string" || typeof v === "number").map(String);
}

/** The values of one rule not yet named by a record. */
export class ConfigMatchTally {
  private readonly unmatched: Set<string>;

  constructor(
    readonly rule: ConfigMatchRule,
    values: readonly string[],
  ) {
    this.unmatched = new Set(values);
  }

  observe(records: readonly ApiRecord[]): void {
    if (!this.unmatched.size) return;
    for (const record of records) {
      for (const path of this.rule.recordFields) {
        const value = valueAt(record, path);
        if (typeof value === "string" || typeof value === "number") this.unmatched.delete(String(value));
      }
    }
  }

  get missing(): string[] {
    return [...this.unmatched];
  }

  /** What is wrong, for a config_error: the values that match no record of `stream`. */
  describe(stream: string): string {
    const values = this.missing.map((v) => JSON.stringify(v)).join(", ");
    const by = this.rule.recordFields.map((p) => p.join(".")).join(" or ");
    const one = this.unmatched.size === 1;
    return (
      `The config's ${this.rule.configField} lists ${values}, which ${one ? "matches" : "match"} no record of ${stream} ` +
      `(by ${by}) that these credentials can read. Correct or remove ${one ? "it" : "them"}.`
    );
  }
}
