/**
 * Two V8 settings for what a sync is: a process that lives seconds to hours, allocates fast and
 * keeps little. Each is set at start-up unless the user gave a value (`node --flag=N`, or the flag
 * in NODE_OPTIONS), and each is one V8 reads when it uses it (not only when it creates the heap),
 * so setting it at start works however the process was started (`npx tap-asana`, the Docker
 * image's entrypoint, `node dist/src/cli/airbyte.js`).
 *
 * - `--heap-growing-percent=50`: how far the heap may grow past what a sync keeps alive before
 *   the next full collection. A sync's live heap is small and flat (the manifest, the
 *   de-duplication keys, the pages in flight: ~20-30 MiB on the largest test dataset), but V8 by
 *   default lets the old generation grow to up to four times the live size: the process's peak
 *   memory then follows V8's heuristics, not the data (~245 MiB on the large dataset). A growing
 *   factor of 1.5 keeps it near ~160-180 MiB at no measurable CPU cost (the collections it adds
 *   are of a small live heap).
 * - `--max-inlined-bytecode-size-cumulative=200`: how much code the optimizing compiler (TurboFan)
 *   inlines into one function it optimizes (default 920 bytes of bytecode). TurboFan runs on
 *   V8's worker threads, and with the default it spent ~0.7 s of CPU compiling (about 300
 *   functions, the engine's per-page functions several times) in a full sync that takes 1.7 s of
 *   CPU in all; code inlined that deeply never pays for its compilation in a sync of seconds or
 *   minutes. At 200 the compilations cost ~40 % less and the optimized code runs as fast
 *   (`npm run bench:cpu`: the connector's CPU, main thread and workers, in the same run).
 */
import { setFlagsFromString } from "node:v8";

/** The flags and their values, as `--name=value` (V8 takes `_` for `-` in a name). */
export const V8_TUNING: readonly string[] = ["--heap-growing-percent=50", "--max-inlined-bytecode-size-cumulative=200"];

/** Whether Node's arguments or NODE_OPTIONS set the V8 flag `name` (`--name`). */
export function flagGiven(name: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((arg) => {
    const given = arg.replace(/_/g, "-");
    return given === name || given.startsWith(`${name}=`);
  });
}

/** Sets each tuning flag the user did not set. */
export function tuneV8(): void {
  for (const setting of V8_TUNING) {
    const name = setting.slice(0, setting.indexOf("="));
    if (!flagGiven(name, process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(setting);
  }
}
