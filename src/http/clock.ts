/**
 * Time as the HTTP layer sees it: what it is now and how to wait. The sender and the rate
 * controller take a Clock, so tests run their retries, backoffs and 429 pauses on a fake one in
 * milliseconds, without waiting for the wall clock.
 */
import { setTimeout as sleep } from "node:timers/promises";

export interface Clock {
  /** Milliseconds. The sender reports epoch times from it; the rate controller only measures intervals. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Epoch milliseconds (Date.now): for times reported to the user (when a rate limit ends). */
export const wallClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/** performance.now(): monotonic (a wall-clock jump does not stall pacing) and finer than a millisecond. */
export const monotonicClock: Clock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };
