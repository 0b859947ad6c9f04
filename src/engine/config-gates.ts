/**
 * The engine's side of `config_must_match` (src/declarative/config-match.ts): a stream with a
 * rule the config turns on is a gate. While a gate is closed, only the gate streams and their
 * ancestors are read; all other work waits ("is held") until the gate stream has been listed in
 * full. Then either every config value named one of its records and the held work goes ahead, or
 * the sync stops with a config_error naming the values, before any record of a stream off the
 * gates' path (a descendant or an unrelated stream) is emitted. No request is spent on the check:
 * it reads the pages the sync reads anyway.
 */
import type { ApiRecord } from "../declarative/record-selector.js";
import { ConfigMatchTally, configValuesOf } from "../declarative/config-match.js";
import type { Config } from "../declarative/node.js";
import { type ConnectorError, configError } from "../errors.js";
import type { StreamRun } from "./plan.js";

interface Gate {
  run: StreamRun;
  tallies: ConfigMatchTally[];
  open: boolean;
}

export class ConfigGates {
  private readonly gates: Gate[] = [];
  private readonly gatedBy = new Map<StreamRun, Gate[]>();
  /** The gate streams and their ancestors: read while a gate is closed. */
  private readonly gatePath = new Set<StreamRun>();

  constructor(runs: Iterable<StreamRun>, config: Config) {
    const all = [...runs];
    for (const run of all) {
      const tallies = run.def.configMatches
        .map((rule) => new ConfigMatchTally(rule, configValuesOf(rule, config)))
        .filter((tally) => tally.missing.length > 0);
      if (tallies.length) this.gates.push({ run, tallies, open: false });
    }
    for (const gate of this.gates) for (const run of [gate.run, ...gate.run.ancestors()]) this.gatePath.add(run);
    for (const run of all) {
      const ancestors = run.ancestors();
      const gates = this.gates.filter((g) => g.run !== run && ancestors.includes(g.run));
      if (gates.length) this.gatedBy.set(run, gates);
    }
  }

  /** Records of a listing page of `run`, before its record filter. */
  observe(run: StreamRun, records: readonly ApiRecord[]): void {
    for (const gate of this.gates) if (gate.run === run && !gate.open) for (const tally of gate.tallies) tally.observe(records);
  }

  /** True while work of `run` must wait: an ancestor's gate is not open yet, or `run` is off the path of a closed gate. */
  holds(run: StreamRun): boolean {
    if (this.gatedBy.get(run)?.some((g) => !g.open)) return true;
    return !this.gatePath.has(run) && this.gates.some((g) => !g.open);
  }

  /**
   * Opens every gate whose stream is listed in full. Returns the config error (and its stream) of
   * the first gate a config value did not pass, or undefined.
   */
  settle(): { stream: string; error: ConnectorError } | undefined {
    for (const gate of this.gates) {
      if (gate.open || !listedInFull(gate.run)) continue;
      gate.open = true;
      // A failed stream reports its own error; its values were not all seen.
      if (gate.run.failure) continue;
      const failed = gate.tallies.find((t) => t.missing.length > 0);
      if (failed) return { stream: gate.run.name, error: configError(failed.describe(gate.run.name)) };
    }
    return undefined;
  }
}

/** No work of the stream is left, nor can any come: its ancestors are listed in full too. */
function listedInFull(run: StreamRun): boolean {
  return run.pending === 0 && run.parents.every(listedInFull);
}
