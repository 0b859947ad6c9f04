/**
 * Airbyte protocol messages (protocol v0.3.2, github.com/airbytehq/airbyte-protocol) and their
 * writer. AirbyteWriter is the engine's SyncEmitter for `source-asana read` (RECORD, per-stream
 * STATE with its record count, STREAM_STATUS and ESTIMATE traces, LOG) and also writes the answers of the other
 * commands (SPEC, CONNECTION_STATUS, CATALOG) and TRACE errors, one JSON object per line.
 */
import type { ConnectorError, FailureType } from "../errors.js";
import type { LogLevel, StreamStatus, SyncEmitter } from "./emitter.js";
import type { LineOutput } from "./output.js";

export interface AirbyteStream {
  name: string;
  json_schema: Record<string, unknown>;
  supported_sync_modes: Array<"full_refresh" | "incremental">;
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

export interface ConfiguredAirbyteStream {
  stream: AirbyteStream;
  sync_mode: "full_refresh" | "incremental";
  destination_sync_mode: string;
  cursor_field?: string[];
  primary_key?: string[][];
}

export interface ConfiguredAirbyteCatalog {
  streams: ConfiguredAirbyteStream[];
}

export interface StreamStateMessage {
  type: "STREAM";
  stream: { stream_descriptor: { name: string; namespace?: string }; stream_state?: Record<string, unknown> | null };
}

/** Writes AirbyteMessages, one per line, and counts records per stream for `sourceStats`. */
export class AirbyteWriter implements SyncEmitter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly out: LineOutput) {}

  async record(stream: string, data: Record<string, unknown>): Promise<void> {
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + 1);
    await this.out.writeJson({ type: "RECORD", record: { stream, data, emitted_at: Date.now() } });
  }

  async state(stream: string, streamState: Record<string, unknown>): Promise<void> {
    const recordCount = this.counts.get(stream) ?? 0;
    this.counts.set(stream, 0);
    await this.out.writeJson({
      type: "STATE",
      state: {
        type: "STREAM",
        stream: { stream_descriptor: { name: stream }, stream_state: streamState },
        sourceStats: { recordCount },
      },
    });
  }

  async streamStatus(stream: string, status: StreamStatus): Promise<void> {
    await this.out.writeJson({
      type: "TRACE",
      trace: { type: "STREAM_STATUS", emitted_at: Date.now(), stream_status: { stream_descriptor: { name: stream }, status } },
    });
  }

  /** `quota_reset` is an integer (epoch ms) in the protocol; the engine's pause may end mid-millisecond, so it is rounded up. */
  async rateLimited(stream: string, quotaReset: number): Promise<void> {
    await this.out.writeJson({
      type: "TRACE",
      trace: {
        type: "STREAM_STATUS",
        emitted_at: Date.now(),
        stream_status: {
          stream_descriptor: { name: stream },
          status: "RUNNING",
          reasons: [{ type: "RATE_LIMITED", rate_limited: { quota_reset: Math.ceil(quotaReset) } }],
        },
      },
    });
  }

  /** A guess at the rows this sync will emit for `stream` (a later one replaces it); STREAM estimates only, never SYNC. */
  async estimate(stream: string, rowEstimate: number): Promise<void> {
    await this.out.writeJson({
      type: "TRACE",
      trace: { type: "ESTIMATE", emitted_at: Date.now(), estimate: { name: stream, type: "STREAM", row_estimate: Math.round(rowEstimate) } },
    });
  }

  async log(level: LogLevel, message: string): Promise<void> {
    await this.out.writeJson({ type: "LOG", log: { level, message } });
  }

  async error(message: string, failureType: FailureType, internalMessage?: string, stream?: string): Promise<void> {
    await this.out.writeJson({
      type: "TRACE",
      trace: {
        type: "ERROR",
        emitted_at: Date.now(),
        error: {
          message,
          failure_type: failureType,
          ...(internalMessage ? { internal_message: internalMessage } : {}),
          ...(stream ? { stream_descriptor: { name: stream } } : {}),
        },
      },
    });
  }

  async connectorError(error: ConnectorError, stream?: string): Promise<void> {
    await this.error(error.message, error.failureType, error.internalMessage, stream);
  }

  async spec(spec: Record<string, unknown>): Promise<void> {
    await this.out.writeJson({ type: "SPEC", spec });
  }

  async connectionStatus(status: "SUCCEEDED" | "FAILED", message?: string): Promise<void> {
    await this.out.writeJson({ type: "CONNECTION_STATUS", connectionStatus: { status, ...(message ? { message } : {}) } });
  }

  async catalog(streams: AirbyteStream[]): Promise<void> {
    await this.out.writeJson({ type: "CATALOG", catalog: { streams } });
  }
}
