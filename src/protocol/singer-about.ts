/**
 * `--about` (Meltano SDK convention): the tap's name, version, capabilities, settings (the spec's
 * connectionSpecification, i.e. the config JSON Schema) and streams, as JSON or Markdown.
 * Secret settings are the spec's `airbyte_secret` properties, listed by dotted name.
 */

export const CAPABILITIES = ["about", "catalog", "discover", "state", "activate-version"] as const;

export interface About {
  name: string;
  description: string;
  version: string;
  capabilities: string[];
  settings: Record<string, unknown>;
  /** Dotted names of the settings that hold secrets (`credentials.personal_access_token`, ...). */
  sensitive_settings: string[];
  streams: string[];
}

/** One config setting, flattened to a dotted name (the form meltano.yml uses). */
export interface Setting {
  name: string;
  type: string;
  description: string;
  default: unknown;
  required: boolean;
  sensitive: boolean;
  /** Allowed values (enum, or the `const` of each oneOf variant). */
  allowed: unknown[];
  /** Titles of the oneOf variants the setting belongs to; empty when it always applies. */
  variants: string[];
}

type Schema = Record<string, unknown>;

const isSchema = (value: unknown): value is Schema => !!value && typeof value === "object" && !Array.isArray(value);

function typeOf(node: Schema): string {
  const t = node.type;
  if (Array.isArray(t)) return t.filter((x) => x !== "null").map(String).join(" | ") || "null";
  return typeof t === "string" ? t : "any";
}

function alternativesOf(node: Schema): Schema[] {
  return [...(Array.isArray(node.oneOf) ? node.oneOf : []), ...(Array.isArray(node.anyOf) ? node.anyOf : [])].filter(isSchema);
}

/**
 * Every leaf setting of a config JSON Schema, looking through nested objects and oneOf/anyOf
 * variants. A setting of some variants only lists them, and is required only when every variant
 * has and requires it.
 */
export function settingsOf(spec: Schema): Setting[] {
  interface Found extends Setting {
    seenIn: number;
    requiredIn: number;
    scopeSize: number;
  }
  const found = new Map<string, Found>();
  const visit = (node: Schema, prefix: string, parentRequired: boolean, scope: { title: string; size: number } | undefined): void => {
    const props = isSchema(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required.map(String) : []);
    for (const [key, raw] of Object.entries(props)) {
      if (!isSchema(raw)) continue;
      const name = prefix ? `${prefix}.${key}` : key;
      const isRequired = parentRequired && required.has(key);
      const alternatives = alternativesOf(raw);
      if (isSchema(raw.properties) || alternatives.length) {
        if (isSchema(raw.properties)) visit(raw, name, isRequired, scope);
        alternatives.forEach((alt, i) =>
          visit(alt, name, isRequired, { title: typeof alt.title === "string" ? alt.title : `option ${i + 1}`, size: alternatives.length }),
        );
        continue;
      }
      const entry: Found = found.get(name) ?? {
        name,
        type: typeOf(raw),
        description: typeof raw.description === "string" ? raw.description.trim() : typeof raw.title === "string" ? raw.title : "",
        default: raw.default,
        required: false,
        sensitive: false,
        allowed: [],
        variants: [],
        seenIn: 0,
        requiredIn: 0,
        scopeSize: scope?.size ?? 1,
      };
      // Variants that describe the same setting differently (a discriminator): use its title.
      if (typeof raw.description === "string" && raw.description.trim() !== entry.description && typeof raw.title === "string") {
        entry.description = raw.title;
      }
      entry.seenIn++;
      if (isRequired) entry.requiredIn++;
      if (raw.airbyte_secret === true) entry.sensitive = true;
      for (const value of [...(Array.isArray(raw.enum) ? raw.enum : []), ...("const" in raw ? [raw.const] : [])]) {
        if (!entry.allowed.some((a) => JSON.stringify(a) === JSON.stringify(value))) entry.allowed.push(value);
      }
      if (scope && !entry.variants.includes(scope.title)) entry.variants.push(scope.title);
      found.set(name, entry);
    }
  };
  visit(spec, "", true, undefined);
  return [...found.values()].map(({ seenIn, requiredIn, scopeSize, ...setting }) => {
    const everywhere = seenIn >= scopeSize;
    return { ...setting, required: everywhere && requiredIn === seenIn, variants: everywhere ? [] : setting.variants };
  });
}

export function aboutOf(options: {
  name: string;
  description: string;
  version: string;
  spec: Schema;
  streams: string[];
}): About {
  return {
    name: options.name,
    description: options.description,
    version: options.version,
    capabilities: [...CAPABILITIES],
    settings: options.spec,
    sensitive_settings: settingsOf(options.spec)
      .filter((s) => s.sensitive)
      .map((s) => s.name),
    streams: options.streams,
  };
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
const code = (value: unknown): string => (value === undefined ? "" : `\`${JSON.stringify(value)}\``);

export function aboutMarkdown(about: About): string {
  const lines = [`# ${about.name}`, "", about.description, "", `Version: ${about.version}`, "", "## Capabilities", ""];
  for (const c of about.capabilities) lines.push(`- ${c}`);
  lines.push("", "## Settings", "", "| Setting | Type | Required | Sensitive | Default | Description |", "| --- | --- | --- | --- | --- | --- |");
  for (const s of settingsOf(about.settings)) {
    const notes = [
      s.description,
      s.allowed.length ? `Allowed: ${s.allowed.map((a) => code(a)).join(", ")}.` : "",
      s.variants.length ? `For: ${s.variants.join("; ")}.` : "",
    ].filter(Boolean);
    lines.push(
      `| \`${s.name}\` | ${s.type} | ${s.required ? "yes" : "no"} | ${s.sensitive ? "yes" : "no"} | ${cell(code(s.default))} | ${cell(notes.join(" "))} |`,
    );
  }
  lines.push("", `Secret settings are marked \`airbyte_secret: true\` in \`${about.name} --about --format json\`; they are never written to any output.`);
  lines.push("", "## Streams", "");
  for (const s of about.streams) lines.push(`- ${s}`);
  return lines.join("\n");
}
