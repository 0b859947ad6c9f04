/**
 * Line output with backpressure: one JSON document per line, serialized once, redacted, and
 * written to a stream in chunks: lines gather until `CHUNK_CHARS` or the end of the current turn
 * of the event loop (a whole page of records is then one write, not one per record), and
 * `flush` writes what is left. A writer waits for 'drain' when the stream's buffer is full, so
 * memory stays flat however fast records arrive. When the reader of the output goes away (`read ... | head -1`), the process
 * ends at once, quietly and non-zero: nothing can reach the reader any more, so nothing is left to
 * do (no retries, no other stream), and nothing is left to say but one line on stderr.
 */
import { writeSync } from "node:fs";
import type { Writable } from "node:stream";
import type { Redactor } from "./redact.js";

/** Characters gathered before they are written (a chunk is written at once beyond this). */
const CHUNK_CHARS = 64 * 1024;

export class LineOutput {
  private failed: Error | undefined;
  /** One wait for 'drain' shared by every writer (many workers write at once). */
  private draining: Promise<void> | undefined;
  /** Lines (redacted, each with its newline) not yet handed to the stream. */
  private pending = "";
  private writeScheduled = false;

  constructor(
    private readonly stream: Writable,
    private readonly redactor: Redactor,
  ) {
    stream.on("error", (error: Error) => {
      this.failed = error;
    });
  }

  async writeJson(message: unknown): Promise<void> {
    await this.writeLine(JSON.stringify(message));
  }

  async writeLine(line: string): Promise<void> {
    if (this.failed) throw this.failed;
    this.pending += `${this.redactor.redact(line)}\n`;
    if (this.pending.length >= CHUNK_CHARS) this.writePending();
    else if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(this.writeScheduledChunk);
    }
    if (this.stream.writableNeedDrain) await this.drained();
    if (this.failed) throw this.failed;
  }

  private readonly writeScheduledChunk = (): void => {
    this.writeScheduled = false;
    this.writePending();
  };

  private writePending(): void {
    if (this.pending === "" || this.failed) return;
    const chunk = this.pending;
    this.pending = "";
    this.stream.write(chunk);
  }

  private drained(): Promise<void> {
    // A stream that fails or closes never drains: either releases the waiting writers too.
    this.draining ??= new Promise<void>((resolve) => {
      const done = (): void => {
        this.stream.off("drain", done).off("close", done).off("error", done);
        this.draining = undefined;
        resolve();
      };
      this.stream.on("drain", done).on("close", done).on("error", done);
    });
    return this.draining;
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flush(): Promise<void> {
    this.writePending();
    return new Promise((resolve) => {
      if (this.stream.writableNeedDrain) void this.drained().then(resolve);
      else this.stream.write("", () => resolve());
    });
  }
}

/** The errors of writing to a pipe or socket whose reader has gone. */
export function isClosedOutput(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ECONNRESET" || code === "ERR_STREAM_DESTROYED";
}

/**
 * Ends the process with exit code 1 when the reader of `stream` goes away, after `notice` (if
 * any) on stderr: written synchronously, so it is out before the exit, and never thrown from
 * (stderr may be gone too).
 */
export function exitWhenReaderCloses(stream: Writable, notice: string | undefined): void {
  stream.on("error", (error: Error) => {
    if (!isClosedOutput(error)) return;
    if (notice) {
      try {
        writeSync(2, `${notice}\n`);
      } catch {
        // stderr is closed as well: nothing more can be said.
      }
    }
    process.exit(1);
  });
}
