/**
 * A virtual clock for timing logic (the rate controller's pacing, 429 pauses): `sleep` registers a
 * timer, and a pump fires the earliest one at a time, moving virtual time to it (plus an optional
 * lateness, as a busy event loop makes real timers late). Timing tests then measure virtual time,
 * which a loaded machine cannot distort, and run in milliseconds.
 */
import type { Clock } from "../../src/http/clock.js";

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

export class VirtualClock implements Clock {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private pumping = false;

  /** `lateness(n)`: extra ms the n-th timer fires late (default: none). */
  constructor(private readonly lateness: (n: number) => number = () => 0) {}

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
      this.schedulePump();
    });
  }

  private schedulePump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // After the current microtasks: every continuation that registers a timer does so first.
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumping = false;
    if (this.timers.length === 0) return;
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const timer = this.timers.shift()!;
    this.time = Math.max(this.time, timer.at + this.lateness(timer.seq));
    timer.resolve();
    if (this.timers.length > 0) this.schedulePump();
  }
}
