/**
 * The work queue and its workers. Items wait in a DepthQueue (the deepest first, so child
 * partitions drain before more parent pages are fetched and memory stays flat); `workers`
 * coroutines take them one at a time and run `work` on each. The run ends when the queue is empty
 * and no item is in flight (an item in flight may still schedule more), or when `stop()` was
 * called (a fatal error: the workers finish what they hold and take nothing new). If `work`
 * throws, the run stops and the error goes up: `work` must handle the failures it can.
 */
import { DepthQueue } from "./work-queue.js";

export class Scheduler<T> {
  private readonly queue = new DepthQueue<T>();
  private active = 0;
  private waiting: Array<() => void> = [];
  private halted = false;

  constructor(private readonly depthOf: (item: T) => number) {}

  push(item: T): void {
    this.queue.push(this.depthOf(item), item);
    this.wake();
  }

  /** No new item is taken from now on; items in flight finish. */
  stop(): void {
    this.halted = true;
    this.wake();
  }

  get stopped(): boolean {
    return this.halted;
  }

  async run(workers: number, work: (item: T) => Promise<void>): Promise<void> {
    const worker = async (): Promise<void> => {
      try {
        await this.workLoop(work);
      } catch (error) {
        this.stop();
        throw error;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, workers) }, worker));
  }

  private async workLoop(work: (item: T) => Promise<void>): Promise<void> {
    for (;;) {
      if (this.halted) return;
      const item = this.queue.take();
      if (item === undefined) {
        if (this.active === 0) {
          this.wake();
          return;
        }
        await new Promise<void>((resolve) => this.waiting.push(resolve));
        continue;
      }
      this.active++;
      try {
        await work(item);
      } finally {
        this.active--;
        this.wake();
      }
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}
