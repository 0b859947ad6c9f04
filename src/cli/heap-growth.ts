/**
 * How far V8 lets the heap grow past what a sync keeps alive. A sync's live heap is small and
 * flat (the manifest, the de-duplication keys, the pages in flight: ~20-30 MiB on Asana's largest
 * test dataset), but it allocates fast (every page parsed, every record serialized), and V8 by
 * default lets the old generation grow to up to four times the live size before it collects
 * again: the process's peak memory then follows V8's heuristics, not the data (~245 MiB on the
 * large dataset). A growing factor of 1.5 keeps it near ~160 MiB at no measurable CPU cost (the
 * collections it adds are of a small live heap).
 *
 * V8 reads this flag each time it sets the next collection's limit, so setting it at start-up
 * works however the process was started (`npx tap-asana`, the Docker image's entrypoint, `node
 * dist/src/cli/airbyte.js`), unlike the flags V8 reads only when it creates the heap. A value the
 * user gives (`node --heap-growing-percent=N`, or in NODE_OPTIONS) is kept.
 */
import { setFlagsFromString } from "node:v8";

/** The old generation may grow to live size × (1 + HEAP_GROWING_PERCENT / 100) before a full collection. */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = "--heap-growing-percent";

/** Whether Node's arguments or NODE_OPTIONS set the heap's growing factor (V8 takes `_` for `-`). */
export function heapGrowthGiven(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((arg) => arg.replace(/_/g, "-").startsWith(FLAG));
}

/** Bounds the heap's growth unless the user chose a value. */
export function boundHeapGrowth(): void {
  if (!heapGrowthGiven(process.execArgv, process.env.NODE_OPTIONS)) setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
}
