/**
 * The simulated clock: real time plus an offset that only grows (`advance`). Mutation timestamps,
 * event sync-token expiry, offset expiry and OAuth access-token expiry read it; rate limits use
 * real time.
 */
export class SimClock {
  private offset: number;

  /** `start`: the simulated time now (default: real time). */
  constructor(start?: number) {
    this.offset = start === undefined ? 0 : start - Date.now();
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /** Moves the clock forward by `ms` (>= 0) and returns the new time. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceClock: ms must be a non-negative number, got ${ms}`);
    this.offset += ms;
    return this.now();
  }
}
