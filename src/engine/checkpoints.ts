/**
 * When state may move. An incremental partition's position moves (and is checkpointed) only once
 * its own pages and every piece of work it spawned are done; inside a partition of many pages,
 * the resume point moves past a listing page once that page and every earlier one are done (a
 * mid-partition checkpoint). A stream is finished when its own work is done and every parent is
 * finished; then its final STATE and COMPLETE status go out, after all its records. A failed
 * stream, or a sync that hit a fatal error, vouches for nothing more: no position moves, no state
 * is sent. This is the role of the CDK's cursor `close_partition`, for a tree of streams. A
 * selected full-refresh stream with partitions checkpoints the partitions it completed, and
 * inside one whose records have children the page after the last one whose children are all
 * emitted (full-refresh.ts); its final state says "no position" again. While partitions are
 * open, a stream with children also lists the records it emitted in them (emitted-keys.ts), and
 * a child stream with a global cursor the partitions it completed, so a resumed sync re-emits
 * only what was in flight.
 */
import type { SyncEmitter } from "../protocol/emitter.js";
import type { Slice } from "./fetch.js";
import type { StreamRun } from "./plan.js";
import type { Resume, StateBlob } from "./state.js";
import type { FullRefreshPage, FullRefreshPartition, PageMark, PartitionProgress, Waiter } from "./work.js";

export class CheckpointTracker {
  constructor(
    private readonly emitter: SyncEmitter,
    /** Minimum time between two checkpoints of one stream (ms); a final state always goes out. */
    private readonly intervalMs: number,
    /** True once a fatal error stopped the sync. */
    private readonly halted: () => boolean,
  ) {}

  /** A work item for these waiters was scheduled. */
  track(waiters: readonly Waiter[]): void {
    for (const waiter of waiters) waiter.outstanding++;
  }

  /** A work item for these waiters is done (processed, skipped or failed). */
  async settle(waiters: readonly Waiter[]): Promise<void> {
    for (const waiter of waiters) {
      waiter.outstanding--;
      if (waiter.outstanding > 0) continue;
      if (waiter.kind === "partition") await this.partitionDone(waiter);
      else if (waiter.kind === "full") await this.fullRefreshPartitionDone(waiter);
      else if (waiter.kind === "full-page") {
        if (waiter.sealed) await this.fullRefreshPageDone(waiter);
      } else if (waiter.sealed) await this.pageDone(waiter);
    }
  }

  /** A listing page is processed (its fan-out scheduled): it is done once its descendants are. */
  async seal(mark: PageMark | FullRefreshPage): Promise<void> {
    mark.sealed = true;
    if (mark.kind === "full-page") {
      if (mark.outstanding === 0) await this.fullRefreshPageDone(mark);
      return;
    }
    mark.latest = mark.progress.latest;
    if (mark.outstanding === 0) await this.pageDone(mark);
  }

  /** Sends `run`'s state unless it is not incremental, failed, or checkpointed too recently. */
  async checkpoint(run: StreamRun, force: boolean): Promise<void> {
    if (!run.selected || !run.incremental || run.failure) return;
    if (!force && !this.due(run)) return;
    await this.emitter.state(run.name, stateOf(run));
  }

  /**
   * `run`'s position moved: the states of every incremental consumer that keeps it as
   * parent_state go out first, then `run`'s own. A sync killed between them resumes from the
   * oldest position, which is then `run`'s own state, and that one still lists the records it
   * emitted in the partition (so they are not emitted again).
   */
  private async checkpointWithConsumers(run: StreamRun): Promise<void> {
    for (const consumer of run.descendants()) await this.checkpoint(consumer, false);
    await this.checkpoint(run, false);
  }

  /** True (and the clock of `run`'s checkpoints restarted) when a checkpoint may go out now. */
  private due(run: StreamRun): boolean {
    const now = Date.now();
    if (now - run.lastCheckpoint < this.intervalMs) return false;
    run.lastCheckpoint = now;
    return true;
  }

  /** Ends `run` if nothing of it is left and its parents are finished, then its children. */
  async finish(run: StreamRun): Promise<void> {
    if (run.done || run.pending > 0 || run.openPartitions > 0 || run.parents.some((p) => !p.done)) return;
    run.done = true;
    const skipped = run.skips.summary(run.name);
    if (skipped !== undefined) await this.emitter.log("WARN", skipped);
    const broken = run.failure !== undefined || run.ancestors().some((a) => a.failure) || this.halted();
    if (!broken) run.cursorState?.finish();
    if (run.selected) {
      if (!run.runningSent) {
        run.runningSent = true;
        await this.emitter.streamStatus(run.name, "RUNNING");
      }
      if (broken) {
        await this.emitter.streamStatus(run.name, "INCOMPLETE");
      } else {
        if (run.incremental) await this.checkpoint(run, true);
        else await this.emitter.state(run.name, { __ab_no_cursor_state_message: true });
        await this.emitter.streamStatus(run.name, "COMPLETE");
      }
    }
    for (const { child } of run.children) if (child !== run) await this.finish(child);
  }

  /**
   * The resume point moves past every leading page that is done; the stream and its incremental
   * consumers may checkpoint mid-partition.
   */
  private async pageDone(mark: PageMark): Promise<void> {
    const progress = mark.progress;
    let resume: Resume | undefined;
    while (progress.marks.length) {
      const first = progress.marks[0]!;
      if (!first.sealed || first.outstanding > 0 || first.failed) break;
      progress.marks.shift();
      if (first.next !== undefined) {
        const latest = first.latest ? progress.run.def.cursor!.format(first.latest) : undefined;
        resume = { token: first.next, pages: first.index, from: first.from, full: progress.full, latest };
      }
    }
    if (!resume || progress.noResume || progress.failed || progress.run.failure || this.halted()) return;
    progress.run.cursorState!.inProgress(progress.partition, progress.saved, resume);
    await this.checkpointWithConsumers(progress.run);
  }

  /** A resumable full-refresh partition and everything under it are emitted: checkpoint the list. */
  private async fullRefreshPartitionDone(waiter: FullRefreshPartition): Promise<void> {
    const { run } = waiter;
    run.openPartitions--;
    run.emitted?.drop(waiter.partition);
    // A finished stream has sent its final "no position" state: nothing may follow it.
    const settled = !waiter.failed && !run.failure && !run.done && !this.halted() && run.resumable !== undefined;
    if (settled && run.resumable!.markComplete(waiter.partition) && this.due(run)) await this.emitter.state(run.name, fullRefreshState(run));
    await this.finish(run);
  }

  /**
   * A page of a full-refresh partition with children and everything read because of it are
   * emitted: once every earlier page is too, the partition may resume after it. A resumed sync
   * does not read those pages, so their children are never scheduled again: the states of every
   * descendant go out first, so what they emitted is committed and their positions are saved.
   */
  private async fullRefreshPageDone(page: FullRefreshPage): Promise<void> {
    const { owner } = page;
    let token: string | undefined;
    let moved = false;
    while (owner.pages.length) {
      const first = owner.pages[0]!;
      if (!first.sealed || first.outstanding > 0 || first.failed) break;
      owner.pages.shift();
      token = first.next;
      moved = true;
    }
    const { run } = owner;
    if (!moved || token === undefined || owner.failed || run.failure || run.done || this.halted() || !run.resumable) return;
    for (const descendant of run.descendants()) await this.sendState(descendant);
    if (run.resumable.pageDone(owner.partition, token) && this.due(run)) await this.emitter.state(run.name, fullRefreshState(run));
  }

  /** Sends `run`'s current state now (nothing for a stream that sends none, failed or finished). */
  private async sendState(run: StreamRun): Promise<void> {
    if (!run.selected || run.failure || run.done || this.halted()) return;
    if (run.incremental) await this.emitter.state(run.name, stateOf(run));
    else if (run.resumable) await this.emitter.state(run.name, fullRefreshState(run));
  }

  /** A page of a leaf full-refresh partition is emitted: the partition may resume after it. */
  async fullRefreshPage(run: StreamRun, partition: Slice, next: string): Promise<void> {
    if (run.failure || run.done || this.halted() || !run.resumable) return;
    if (run.resumable.pageDone(partition, next) && this.due(run)) await this.emitter.state(run.name, fullRefreshState(run));
  }

  /**
   * A page of a stream with children is emitted: its state may list those records now (so a
   * resumed sync does not emit them again while it reads their partition for the children).
   */
  async recordsEmitted(run: StreamRun): Promise<void> {
    if (run.incremental) return this.checkpoint(run, false);
    if (run.failure || run.done || this.halted() || !run.resumable || !this.due(run)) return;
    await this.emitter.state(run.name, fullRefreshState(run));
  }

  private async partitionDone(progress: PartitionProgress): Promise<void> {
    progress.run.openPartitions--;
    const cursor = progress.run.def.cursor!;
    const at = progress.latest?.getTime();
    progress.run.emitted?.drop(progress.partition, (value) => at !== undefined && cursor.parse(value)?.getTime() === at);
    if (!progress.failed && !progress.run.failure && !this.halted()) {
      const extra: Record<string, string> = progress.feed?.token ? { sync: progress.feed.token } : {};
      progress.run.cursorState!.complete(progress.partition, progress.start, progress.latest, extra);
      // A child stream with a global cursor lists the partitions it completed (until it finishes).
      progress.run.resumable?.markComplete(progress.partition);
      await this.checkpointWithConsumers(progress.run);
    }
    await this.finish(progress.run);
  }
}

/** A resumable full-refresh stream's checkpoint: its complete partitions and the records of open ones. */
function fullRefreshState(run: StreamRun): StateBlob {
  return { ...run.resumable!.snapshot(), ...run.emitted?.snapshot() };
}

/** An incremental stream's state: its own positions, plus those of ancestors read from positions. */
export function stateOf(run: StreamRun): StateBlob {
  const own = run.cursorState?.snapshot() ?? {};
  // A finished stream's partitions are read again by the next sync: no list then.
  if (run.resumable && !run.done) Object.assign(own, run.resumable.incrementalSnapshot());
  if (run.emitted && !run.done) Object.assign(own, run.emitted.snapshot());
  const parentState: Record<string, StateBlob> = {};
  for (const ancestor of run.ancestors()) {
    if (ancestor.cursorState) parentState[ancestor.name] = ancestor.cursorState.snapshot();
  }
  return Object.keys(parentState).length ? { ...own, parent_state: parentState } : own;
}
