/**
 * Work items by depth in the stream tree. `take` returns the deepest waiting item first, so child
 * partitions drain before more parent pages are fetched: the set of waiting items stays small
 * (one page's worth of children per level) however large the workspace.
 */
export class DepthQueue<T> {
  private readonly levels: Array<{ items: T[]; head: number }> = [];

  push(depth: number, item: T): void {
    while (this.levels.length <= depth) this.levels.push({ items: [], head: 0 });
    this.levels[depth]!.items.push(item);
  }

  take(): T | undefined {
    for (let d = this.levels.length - 1; d >= 0; d--) {
      const level = this.levels[d]!;
      if (level.head < level.items.length) {
        const item = level.items[level.head]!;
        level.items[level.head] = undefined as unknown as T;
        level.head++;
        if (level.head > 1024 && level.head * 2 > level.items.length) {
          level.items = level.items.slice(level.head);
          level.head = 0;
        }
        return item;
      }
    }
    return undefined;
  }
}
