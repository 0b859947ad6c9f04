/**
 * CAT TestSpec, against the built CLI's `spec` output (PROTOCOL-NOTES §3.3). No network.
 */
import { Ajv } from "ajv";
import addFormatsImport from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { UPDATE_SNAPSHOTS, readProjectJson, writeProjectJson } from "../helpers/acceptance.js";
import { type CliResult, runAirbyte } from "../helpers/cli.js";
import { airbyteMessageValidator, invalidMessages } from "../helpers/protocol.js";
import {
  type JsonObject,
  SPEC_FORBIDDEN_KEYWORDS,
  additionalPropertiesProblems,
  arrayTypeProblems,
  breakingChanges,
  displayTypeProblems,
  duplicateEnumProblems,
  duplicateOrderProblems,
  emptyObjectProblems,
  isObject,
  keywordUses,
  metaSchemaProblems,
  nestedGroupProblems,
  oauthProblems,
  oneOfProblems,
  secretProblems,
  typeListProblems,
  visitSchemas,
} from "../helpers/schema-rules.js";
import { skipNote } from "../helpers/shared.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

let result: CliResult;
let spec: JsonObject;
let connection: JsonObject;

beforeAll(async () => {
  result = await runAirbyte(["spec"], 30_000);
  const message = result.messages.find((m) => m.type === "SPEC");
  spec = (message?.spec ?? {}) as JsonObject;
  connection = isObject(spec.connectionSpecification) ? spec.connectionSpecification : {};
});

/** A config without CAT's private `_` keys. */
function withoutPrivateKeys(config: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith("_")));
}

describe("CAT spec", () => {
  it("prints exactly one SPEC message, valid against the protocol schema, and exits 0", () => {
    expect(result.code).toBe(0);
    expect(result.messages.map((m) => m.type)).toEqual(["SPEC"]);
    if (!airbyteMessageValidator()) console.warn(skipNote("airbyte/airbyte_protocol.yaml"));
    else expect(invalidMessages(result.messages)).toEqual([]);
  });

  it("connectionSpecification is a valid draft-07 JSON Schema of an object", () => {
    expect(metaSchemaProblems(connection)).toEqual([]);
    expect(connection.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(connection.type).toBe("object");
  });

  it("the sample and invalid configs match the spec (test_config_match_spec)", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(connection);
    for (const file of ["sample_config.json", "invalid_config.json"]) {
      const config = withoutPrivateKeys(readProjectJson(`integration_tests/${file}`) as JsonObject);
      expect(validate(config) ? [] : validate.errors, file).toEqual([]);
    }
  });

  it("secrets are marked airbyte_secret (CAT's name list, plus *_token/*_secret/*_password/*_key)", () => {
    expect(secretProblems(connection)).toEqual([]);
  });

  it("a property type list is [<type>] or [<type>, \"null\"]", () => {
    expect(typeListProblems(connection)).toEqual([]);
  });

  it("oneOf/anyOf: object parent, variants with properties, one common const discriminator", () => {
    expect(oneOfProblems(connection)).toEqual([]);
  });

  it("enums have no duplicate values", () => {
    expect(duplicateEnumProblems(connection)).toEqual([]);
  });

  it("nested objects are not empty, arrays have one simple items schema", () => {
    expect(emptyObjectProblems(connection)).toEqual([]);
    expect(arrayTypeProblems(connection)).toEqual([]);
  });

  it("uses no $ref and no forbidden complex keyword (not, anyOf, allOf, if/then/else, ...)", () => {
    expect(keywordUses(connection, SPEC_FORBIDDEN_KEYWORDS)).toEqual([]);
  });

  it("additionalProperties is true wherever it is set", () => {
    expect(additionalPropertiesProblems(connection)).toEqual([]);
  });

  it("order is unique per group, group is top-level only, display_type only next to oneOf", () => {
    expect(duplicateOrderProblems(connection)).toEqual([]);
    expect(nestedGroupProblems(connection)).toEqual([]);
    expect(displayTypeProblems(connection)).toEqual([]);
  });

  it("date and date-time fields carry a pattern (CAT only warns: test_date_pattern / test_date_format)", () => {
    const unpatterned: string[] = [];
    visitSchemas(connection, (node, path) => {
      if ((node.format === "date" || node.format === "date-time") && typeof node.pattern !== "string") unpatterned.push(path.join("/"));
    });
    if (unpatterned.length) console.warn(`CAT would warn: ${unpatterned.join(", ")} has a date format but no pattern (the UI cannot check the input)`);
  });

  it("advanced_auth paths exist in the spec and OAuth is the default method", () => {
    if (!("advanced_auth" in spec)) {
      console.warn("spec has no advanced_auth (PAT only): the OAuth flow checks are skipped, as CAT does");
      return;
    }
    expect(oauthProblems(spec)).toEqual([]);
  });

  it("is backward compatible with integration_tests/spec.json (no removed field, no new required field, no narrowed type or enum)", () => {
    const previous = readProjectJson("integration_tests/spec.json") as JsonObject;
    expect(breakingChanges(previous.connectionSpecification ?? {}, connection, true)).toEqual([]);
  });

  it("equals integration_tests/spec.json (test_match_expected; UPDATE_CAT_SNAPSHOTS=1 rewrites it)", () => {
    if (UPDATE_SNAPSHOTS) writeProjectJson("integration_tests/spec.json", spec);
    expect(spec).toEqual(readProjectJson("integration_tests/spec.json"));
  });
});
