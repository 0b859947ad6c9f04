/**
 * Line output with backpressure: one JSON document per line, redacted, written to a stream;
 * `write` waits for 'drain' when the stream's buffer is full, so memory stays flat however fast
 * records arrive. When the reader of the output goes away (`read ... | head -1`), the process
 * ends at once, quietly and non-zero: nothing can reach the reader any more, so nothing is left to
 * do (no retries, no other stream), and nothing is left to say but one line on stderr.
 */
import { writeSync } from "node:fs";
import type { Writable } from "node:stream";
import type { Redactor } from "./redact.js";

export class LineOutput {
  private failed: Error | undefined;
  /** One wait for 'drain' shared by every writer (many workers write at once). */
  private draining: Promise<void> | undefined;

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
    const ok = this.stream.write(`${this.redactor.redact(line)}\n`);
    if (!ok) await this.drained();
    if (this.failed) throw this.failed;
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
