/**
 * The runtime extension `config_must_match`, on a generic manifest (folders → items → notes):
 * a config value that names no record of the stream is a config_error naming the value, raised
 * once the stream is listed in full and before any work below it runs; values that all match let
 * the read go on, narrowed by the stream's own record filter; a config without the values has no
 * gate at all. The rule is parsed strictly.
 */
import { describe, expect, it } from "vitest";
import { parseConfigMatches } from "../../src/declarative/config-match.js";
import { runEngine } from "../helpers/engine.js";
import { MANIFEST, api, world } from "../engine/fixtures.js";

const FOLDERS_SELECTOR = `      requester: { $ref: "#/definitions/requester", path: /folders }
      record_selector: { $ref: "#/definitions/selector" }`;

/** folders narrowed to config.folder_ids (all when unset), each of which must be a folder's id or name. */
const GATED = MANIFEST.replace(
  "    name: folders\n",
  "    name: folders\n    config_must_match: [{ config_field: folder_ids, record_fields: [id, name] }]\n",
).replace(
  FOLDERS_SELECTOR,
  `      requester: { $ref: "#/definitions/requester", path: /folders }
      record_selector:
        $ref: "#/definitions/selector"
        record_filter:
          type: RecordFilter
          condition: "{{ not config.get('folder_ids') or record.id in config.get('folder_ids') }}"`,
);

describe("config_must_match", () => {
  it("the fixture gained the rule and the filter", () => {
    expect(GATED).not.toBe(MANIFEST);
    expect(GATED).toContain("config_must_match");
    expect(GATED).toContain("record_filter");
  });

  it("values that all match: the read goes on, narrowed by the record filter", async () => {
    const { emitter, http, result } = await runEngine(GATED, api(world()), { selected: ["folders", "items", "notes"], config: { folder_ids: ["f2"] } });
    expect(result.failures).toEqual([]);
    expect(emitter.records("folders").map((r) => r.id)).toEqual(["f2"]);
    expect(emitter.records("items").map((r) => r.id).sort()).toEqual(["i3", "i4"]);
    expect(http.count("/folders/f1/items"), "nothing is asked below a folder left out").toBe(0);
    for (const stream of ["folders", "items", "notes"]) expect(emitter.statuses(stream).at(-1), stream).toBe("COMPLETE");
  });

  it("a value that names nothing: a config_error naming it, before any request below the stream", async () => {
    const { emitter, http, result } = await runEngine(GATED, api(world()), {
      selected: ["folders", "items", "notes"],
      config: { folder_ids: ["f2", "f9"] },
    });
    expect(result.failures.map((f) => [f.stream, f.error.failureType])).toEqual([["folders", "config_error"]]);
    expect(result.failures[0]!.error.message).toBe(
      'The config\'s folder_ids lists "f9", which matches no record of folders (by id or name) that these credentials can read. Correct or remove it.',
    );
    expect(http.count("/folders"), "both pages of folders are read: the value might be on the last").toBe(2);
    expect(http.requests.filter((r) => r.path !== "/folders"), "nothing below folders is asked").toEqual([]);
    expect(emitter.records("items")).toEqual([]);
    for (const stream of ["items", "notes"]) expect(emitter.statuses(stream).at(-1), stream).toBe("INCOMPLETE");
  });

  it("matches the records before the filter, by any of the fields", async () => {
    const w = world();
    w.folders = [{ id: "f1", name: "Inbox" } as { id: string }, { id: "f2" }, { id: "f3" }];
    const { result } = await runEngine(GATED, api(w), { selected: ["folders"], config: { folder_ids: ["Inbox", "f3"] } });
    expect(result.failures).toEqual([]);
  });

  it("a config without the values: no gate, every folder", async () => {
    for (const config of [{}, { folder_ids: [] }, { folder_ids: null }]) {
      const { emitter, result } = await runEngine(GATED, api(world()), { selected: ["folders", "items"], config });
      expect(result.failures).toEqual([]);
      expect(emitter.records("folders").map((r) => r.id)).toEqual(["f1", "f2", "f3"]);
    }
  });

  it("is parsed strictly", () => {
    expect(parseConfigMatches(undefined, "s.config_must_match")).toEqual([]);
    expect(parseConfigMatches([{ config_field: "ws", record_fields: ["gid", "owner/name"] }], "s")).toEqual([
      { configField: "ws", recordFields: [["gid"], ["owner", "name"]] },
    ]);
    expect(() => parseConfigMatches({ config_field: "ws" }, "s.config_must_match")).toThrow(/s\.config_must_match must be a list/);
    expect(() => parseConfigMatches([{ record_fields: ["gid"] }], "s")).toThrow(/s\[0\]\.config_field must be a config field name/);
    expect(() => parseConfigMatches([{ config_field: "ws", record_fields: [] }], "s")).toThrow(/s\[0\]\.record_fields must be a non-empty list/);
  });
});
