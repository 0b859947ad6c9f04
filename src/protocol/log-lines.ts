/**
 * Plain-text log lines (`LEVEL message`) for protocols that keep stdout for data, such as Singer:
 * logs and errors go to stderr, through the same Redactor as every other output.
 */
import type { ConnectorError } from "../errors.js";
import type { LogLevel } from "./emitter.js";
import type { LineOutput } from "./output.js";

export class LogLines {
  constructor(private readonly out: LineOutput) {}

  /** One line per message; continuation lines of a multi-line message are indented. */
  async log(level: LogLevel, message: string): Promise<void> {
    await this.out.writeLine(`${level} ${message.replace(/\r?\n/g, "\n    ")}`);
  }

  /**
   * A failure, with its failure type; the technical detail (if any) follows as a DEBUG line, except
   * a bug's stack trace, which stays out of the tap's stderr.
   */
  async connectorError(error: ConnectorError, stream?: string): Promise<void> {
    await this.log("ERROR", `${stream ? `${stream}: ` : ""}${error.message} (failure type: ${error.failureType})`);
    if (error.internalMessage && !error.bug) await this.log("DEBUG", `${stream ? `${stream}: ` : ""}${error.internalMessage}`);
  }

  flush(): Promise<void> {
    return this.out.flush();
  }
}
