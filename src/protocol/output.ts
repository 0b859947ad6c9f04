/**
 * Line output with backpressure: one JSON document per line, redacted, written to a stream;
 * `write` waits for 'drain' when the stream's buffer is full, so memory stays flat however fast
 * records arrive.
 */
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
