/** The streams a source offers, protocol-neutral (Airbyte and Singer catalogs are built from it). */
import type { DeclarativeSource } from "../declarative/source.js";
import { configError } from "../errors.js";

export interface StreamInfo {
  name: string;
  schema: Record<string, unknown>;
  primaryKey: string[][];
  syncModes: Array<"full_refresh" | "incremental">;
  cursorField: string[] | undefined;
}

export function streamInfos(source: DeclarativeSource): StreamInfo[] {
  return source.streams.map((s) => ({
    name: s.name,
    schema: s.schema,
    primaryKey: s.primaryKey,
    syncModes: s.cursor ? ["full_refresh", "incremental"] : ["full_refresh"],
    cursorField: s.cursor ? [s.cursor.cursorField] : undefined,
  }));
}

export interface StreamSelection {
  name: string;
  syncMode: "full_refresh" | "incremental";
}

/** Checks a selection against what the source offers; returns the known ones, and errors for the rest. */
export function checkSelection(
  source: DeclarativeSource,
  selection: StreamSelection[],
): { known: StreamSelection[]; unknown: string[] } {
  const infos = new Map(streamInfos(source).map((s) => [s.name, s]));
  const known: StreamSelection[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const sel of selection) {
    if (seen.has(sel.name)) throw configError(`The catalog lists stream ${sel.name} twice`);
    seen.add(sel.name);
    const info = infos.get(sel.name);
    if (!info) {
      unknown.push(sel.name);
      continue;
    }
    if (!info.syncModes.includes(sel.syncMode)) {
      throw configError(
        `The catalog asks for stream ${sel.name} in ${sel.syncMode} mode; it supports ${info.syncModes.join(" and ")}`,
      );
    }
    known.push(sel);
  }
  return { known, unknown };
}
