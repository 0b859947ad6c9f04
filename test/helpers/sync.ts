/** Helpers for multi-sync tests: catalogs with sync modes, state hand-over, merging outputs. */
import type { AirbyteMessage } from "./cli.js";

export const INCREMENTAL_STREAMS = ["tasks", "subtasks", "stories", "attachments", "status_updates"];

/** A catalog selecting `streams`, incremental where the stream supports it. */
export function mixedCatalog(streams: string[]): unknown {
  return {
    streams: streams.map((name) => {
      const incremental = INCREMENTAL_STREAMS.includes(name);
      return {
        stream: { name, json_schema: {}, supported_sync_modes: incremental ? ["full_refresh", "incremental"] : ["full_refresh"] },
        sync_mode: incremental ? "incremental" : "full_refresh",
        destination_sync_mode: incremental ? "append_dedup" : "overwrite",
      };
    }),
  };
}

/** The last STATE of each stream, as a state file (array form) for the next sync. */
export function stateFileOf(messages: AirbyteMessage[]): unknown[] {
  const last = new Map<string, { type: string; stream: unknown }>();
  for (const m of messages) {
    if (m.type !== "STATE") continue;
    const { sourceStats: _stats, ...state } = m.state! as typeof m.state & { sourceStats?: unknown };
    void _stats;
    last.set(m.state!.stream.stream_descriptor.name, state as { type: string; stream: unknown });
  }
  return [...last.values()];
}

/**
 * What a deduplicating destination holds after applying `messages` on top of `table`: records
 * replace by gid, tombstones (_ab_cdc_deleted_at) delete.
 */
export function applyToTable(table: Map<string, Record<string, unknown>>, messages: AirbyteMessage[], stream: string): void {
  for (const m of messages) {
    if (m.type !== "RECORD" || m.record!.stream !== stream) continue;
    const data = m.record!.data;
    const gid = String(data.gid);
    if (data._ab_cdc_deleted_at) table.delete(gid);
    else table.set(gid, data);
  }
}
