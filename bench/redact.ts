/**
 * npm run bench:redact: what masking secrets costs per output line (src/protocol/redact.ts).
 * Prints figures; asserts nothing. No network, no child process.
 *
 * Lines: a typical RECORD line (a task, ~0.6 kB of JSON) and a long one (a task whose notes hold
 * ~64 kB of text with escapes and percent signs). Each is redacted with 1 and with 10 secrets
 * registered (none of them in the line, the usual case; and once with a secret in it), and
 * compared in the same run with two baselines: no secret registered (the redactor returns the
 * line as is), and JSON.stringify of the message (what writing the line costs anyway).
 *
 *   npm run bench:redact -- [--seconds S]   (time per figure, default 0.5)
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { Redactor } from "../src/protocol/redact.js";

const { values } = parseArgs({ options: { seconds: { type: "string" } } });
const SECONDS = Number(values.seconds ?? "0.5");

function task(notes: string): unknown {
  return {
    type: "RECORD",
    record: {
      stream: "tasks",
      emitted_at: 1764582000000,
      data: {
        gid: "1209876543210123",
        name: "Prepare the quarterly report \u2013 draft 2",
        resource_type: "task",
        completed: false,
        assignee: { gid: "1209876543210456", resource_type: "user", name: "Ada Lovelace" },
        created_at: "2026-11-30T08:15:02.123Z",
        modified_at: "2026-12-01T09:40:21.456Z",
        due_on: "2026-12-15",
        memberships: [{ project: { gid: "1209876543210789", name: "Finance" }, section: { gid: "1209876543210790", name: "To do" } }],
        permalink_url: "https://app.asana.com/0/1209876543210789/1209876543210123",
        tags: [{ gid: "1209876543210999", name: "q4" }],
        notes,
      },
    },
  };
}

const TYPICAL = JSON.stringify(task("Numbers from the ledger; see the \"Summary\" tab (50% done)."));
const LONG_NOTES = Array.from({ length: 900 }, (_, i) => `Line ${i}: "quoted" C:\\path\\to\\file 100% of https://example.com/a?b=c%20d\n`).join("");
const LONG = JSON.stringify(task(LONG_NOTES));

/** Microseconds per call of `fn`, over about SECONDS seconds. */
function measure(fn: () => unknown): number {
  for (let i = 0; i < 200; i++) fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 50; i++) fn();
    calls += 50;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / 1e3 / calls;
}

function redactor(count: number): { redactor: Redactor; first: string } {
  const r = new Redactor();
  const tokens = Array.from({ length: count }, (_, i) => (i % 2 ? `2/1209876543210001/12098765432${i}:${randomBytes(16).toString("hex")}` : randomBytes(24).toString("base64url")));
  for (const token of tokens) r.add(token);
  return { redactor: r, first: tokens[0]! };
}

const rows: Array<[string, string, string]> = [];
for (const [name, line] of [["typical RECORD", TYPICAL], ["long line", LONG]] as const) {
  const message = JSON.parse(line) as unknown;
  const none = new Redactor();
  const size = `${(line.length / 1024).toFixed(1)} kB`;
  rows.push([`${name} (${size})`, "JSON.stringify of the message (baseline)", measure(() => JSON.stringify(message)).toFixed(2)]);
  rows.push([`${name} (${size})`, "no secret registered (baseline)", measure(() => none.redact(line)).toFixed(2)]);
  for (const count of [1, 10]) {
    const { redactor: r, first } = redactor(count);
    rows.push([`${name} (${size})`, `${count} secret${count > 1 ? "s" : ""}, none in the line`, measure(() => r.redact(line)).toFixed(2)]);
    const leaking = line.replace("Ada Lovelace", Buffer.from(`Bearer ${first}`).toString("base64"));
    rows.push([`${name} (${size})`, `${count} secret${count > 1 ? "s" : ""}, one in the line (base64)`, measure(() => r.redact(leaking)).toFixed(2)]);
  }
}

console.log(`bench:redact: Node ${process.version}, ${SECONDS} s per figure\n`);
console.log("| line | case | µs per line |\n| --- | --- | --- |");
for (const [line, what, us] of rows) console.log(`| ${line} | ${what} | ${us} |`);
