/**
 * A small Dockerfile reader for the static image checks (no Docker engine here): instructions
 * with continuation lines joined and comments dropped, grouped by build stage, plus the
 * argument forms Airbyte cares about (ENV/LABEL key=value pairs, exec-form ENTRYPOINT, COPY).
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let pending = "";
  let start = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#") || (trimmed === "" && pending === "")) return;
    if (pending === "") start = index + 1;
    const continued = /\\\s*$/.test(raw);
    pending += `${continued ? raw.replace(/\\\s*$/, "") : raw} `;
    if (continued) return;
    const joined = pending.trim();
    pending = "";
    const m = /^(\S+)\s*(.*)$/s.exec(joined);
    if (m) instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
  });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(instruction.args);
      stages.push({ from: m?.[1] ?? "", name: m?.[2], instructions: [] });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return stages;
}

/** Splits shell-like words, honouring "double" and 'single' quotes and backslash escapes. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${text}`);
  if (inWord) words.push(current);
  return words;
}

/** ENV and LABEL: `KEY=VALUE ...` pairs, or the legacy `KEY VALUE` form. */
export function keyValues(args: string): Map<string, string> {
  const out = new Map<string, string>();
  const words = shellWords(args);
  if (words.length > 0 && !words[0]!.includes("=")) {
    const space = args.search(/\s/);
    out.set(words[0]!, space < 0 ? "" : shellWords(args.slice(space)).join(" "));
    return out;
  }
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) throw new Error(`not a KEY=VALUE pair: ${word}`);
    out.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return out;
}

/** Every KEY=VALUE of one instruction kind (ENV or LABEL) in a stage, later ones winning. */
export function stageValues(stage: Stage, keyword: "ENV" | "LABEL"): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of stage.instructions) if (i.keyword === keyword) for (const [k, v] of keyValues(i.args)) out.set(k, v);
  return out;
}

export function lastInstruction(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

/** The exec form `["a", "b"]` of ENTRYPOINT/CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith("[")) return undefined;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((p) => typeof p === "string") ? (parsed as string[]) : undefined;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
  /** The stage's WORKDIR when the COPY runs (relative destinations resolve against it). */
  workdir: string;
}

/** The COPY instructions of a stage, with --from and the WORKDIR in force. */
export function copies(stage: Stage): Copy[] {
  const out: Copy[] = [];
  let workdir = "/";
  for (const i of stage.instructions) {
    if (i.keyword === "WORKDIR") workdir = i.args.startsWith("/") ? i.args : `${workdir.replace(/\/$/, "")}/${i.args}`;
    if (i.keyword !== "COPY") continue;
    const words = execForm(i.args) ?? shellWords(i.args);
    const flags = words.filter((w) => w.startsWith("--"));
    const paths = words.filter((w) => !w.startsWith("--"));
    const from = flags.find((f) => f.startsWith("--from="))?.slice("--from=".length);
    out.push({ from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? "", workdir });
  }
  return out;
}
