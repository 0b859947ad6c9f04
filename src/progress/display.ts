/**
 * How progress reads, for a person: the live block on a terminal (redrawn in place by
 * `log-update`, which rewrites only the lines that changed, wraps to the terminal's width and
 * clips to its height: the parts of a live display that are easy to get wrong by hand), and the
 * one-line summary for logs. Both are built from one ProgressView; neither holds any state.
 */

export interface StreamView {
  name: string;
  /** Emitted (in the catalog), not only read for its children. */
  selected: boolean;
  records: number;
  /** Rows expected by the end of the sync, once there is an estimate. */
  estimate: number | undefined;
  pages: number;
  complete: boolean;
}

export interface ProgressView {
  streams: StreamView[];
  requests: number;
  rateLimited: number;
  /** Requests a second over the last few seconds, and the configured ceiling. */
  rate: number;
  ceiling: number;
  /** Seconds left, once every unfinished stream has an estimate. */
  secondsLeft: number | undefined;
  elapsedSeconds: number;
}

const count = (n: number): string => Math.round(n).toLocaleString("en-US");
const pagesOf = (n: number): string => `${count(n)} ${n === 1 ? "page" : "pages"}`;

/** "2 h 05 min", "3 min 20 s", "45 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}

function timeLeft(view: ProgressView): string {
  if (view.streams.every((s) => s.complete)) return "every stream read";
  if (view.secondsLeft === undefined) return "time left: estimating";
  return view.secondsLeft < 1 ? "less than a second left" : `about ${formatDuration(view.secondsLeft)} left`;
}

function header(view: ProgressView): string {
  return (
    `${count(view.requests)} requests, ${view.rate.toFixed(1)}/s of ${view.ceiling.toFixed(1)}/s, ` +
    `${count(view.rateLimited)} rate limited (429); ${formatDuration(view.elapsedSeconds)} elapsed, ${timeLeft(view)}`
  );
}

function recordsOf(stream: StreamView): string {
  if (stream.complete || stream.estimate === undefined) return count(stream.records);
  return `${count(stream.records)} of ~${count(stream.estimate)}`;
}

/** The live block: the totals, then one line per stream. */
export function liveText(view: ProgressView): string {
  const width = Math.max(...view.streams.map((s) => s.name.length), 6);
  const lines = view.streams.map((s) => {
    const mark = s.complete ? "done" : s.pages > 0 ? " .. " : "    ";
    const what = s.selected ? `${recordsOf(s)} records` : "(read for its children)";
    return `  ${mark} ${s.name.padEnd(width)}  ${what}, ${pagesOf(s.pages)}`;
  });
  return [header(view), ...lines].join("\n");
}

/** The periodic log line: the totals, and the selected streams still being read. */
export function summaryLine(view: ProgressView): string {
  const selected = view.streams.filter((s) => s.selected);
  const running = selected.filter((s) => !s.complete && s.pages > 0).map((s) => `${s.name} ${recordsOf(s)}`);
  const done = selected.filter((s) => s.complete).length;
  const streams = `${done} of ${selected.length} streams complete${running.length ? `; reading ${running.join(", ")}` : ""}`;
  return `Progress: ${header(view)}; ${streams}`;
}

/** Where a live block goes: a terminal. */
export interface LiveTerminal {
  render(text: string): void;
  /** Erases the block (before another line is written to the same terminal). */
  clear(): void;
  /** Leaves the last block on screen; later output goes below it. */
  done(): void;
}

/** A live block drawn with log-update (loaded here: only a sync with a terminal display needs it). */
export async function logUpdateTerminal(stream: NodeJS.WriteStream): Promise<LiveTerminal> {
  const { createLogUpdate } = await import("log-update");
  // The cursor stays visible: a process killed mid-sync must not leave the terminal without one.
  const update = createLogUpdate(stream, { showCursor: true });
  return { render: (text) => update(text), clear: () => update.clear(), done: () => update.done() };
}

/** `CI` set to anything but "false" or "0" (the convention of CI services). */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0";
}

/**
 * A live block is drawn when stderr is a terminal that nothing else writes lines to: stdout is
 * not the terminal too (its messages would scroll through the block), the terminal is not
 * "dumb", and this is not CI.
 */
export function wantsLiveDisplay(stderr: NodeJS.WriteStream, stdout: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return stderr.isTTY === true && stdout.isTTY !== true && env.TERM !== "dumb" && !isCi(env);
}
