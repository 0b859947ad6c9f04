/**
 * Partitions the error handler skipped (a 402, 403 or 404 the manifest IGNOREs), per stream. The
 * first few are logged as they happen, naming the partition; the rest are only counted, and when
 * the stream ends one WARN sums them up by reason, so 10,000 forbidden projects make six log
 * lines, not 10,000, and a stream that got nothing at all says so in one line.
 */
export const LOGGED_SKIPS = 5;

export class SkipTally {
  /** Partitions scheduled for the stream (its first page, or its change feed). */
  partitions = 0;
  skipped = 0;
  private readonly reasons = new Map<string, number>();

  /** Counts one skipped partition; true while it should still be logged on its own. */
  add(reason: string): boolean {
    this.skipped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    return this.skipped <= LOGGED_SKIPS;
  }

  /**
   * The stream's summary line: when some skips were not logged one by one, or when every
   * partition of several was skipped (the stream has no records); else undefined (a stream of one
   * partition, skipped, already said why in that partition's line).
   */
  summary(stream: string): string | undefined {
    if (this.skipped === 0 || (this.skipped <= LOGGED_SKIPS && (this.skipped < this.partitions || this.partitions === 1))) return undefined;
    const reasons = [...this.reasons].map(([reason, n]) => (n > 1 ? `${reason} (${n} times)` : reason)).join("; ");
    if (this.skipped >= this.partitions) {
      return `Skipped every partition of ${stream} (${this.skipped}), so it has no records: ${reasons}`;
    }
    return `Skipped ${this.skipped} of ${this.partitions} partitions of ${stream}: ${reasons}`;
  }
}
