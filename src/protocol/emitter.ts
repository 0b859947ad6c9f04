/**
 * What the engine says while it reads, independent of the wire protocol. The Airbyte writer and
 * the Singer writer each implement it; the engine knows neither.
 */
export type LogLevel = "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";
export type StreamStatus = "STARTED" | "RUNNING" | "COMPLETE" | "INCOMPLETE";

export interface SyncEmitter {
  record(stream: string, data: Record<string, unknown>): Promise<void>;
  /** A checkpoint of one stream, covering every record of it emitted before. */
  state(stream: string, streamState: Record<string, unknown>): Promise<void>;
  streamStatus(stream: string, status: StreamStatus): Promise<void>;
  /** The stream is waiting on a rate limit until `quotaReset` (epoch ms). */
  rateLimited(stream: string, quotaReset: number): Promise<void>;
  log(level: LogLevel, message: string): Promise<void>;
}
