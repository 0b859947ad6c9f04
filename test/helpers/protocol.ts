/** Validation of emitted lines against the official AirbyteMessage schema. */
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsImport from "ajv-formats";
import { loadSharedYaml } from "./shared.js";

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

let cached: ValidateFunction | null | undefined;

/** A validator for AirbyteMessage, or null when ../shared is absent. */
export function airbyteMessageValidator(): ValidateFunction | null {
  if (cached !== undefined) return cached;
  const protocol = loadSharedYaml("airbyte/airbyte_protocol.yaml");
  if (!protocol) return (cached = null);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const { $id: _id, ...schema } = protocol;
  void _id;
  ajv.addSchema(schema, "protocol");
  cached = ajv.getSchema("protocol#/definitions/AirbyteMessage") ?? null;
  return cached;
}

/** The validation errors of each invalid message, empty when all are valid. */
export function invalidMessages(messages: unknown[]): string[] {
  const validate = airbyteMessageValidator();
  if (!validate) return [];
  const problems: string[] = [];
  for (const m of messages) {
    if (!validate(m)) problems.push(`${JSON.stringify(m).slice(0, 200)} → ${JSON.stringify(validate.errors)}`);
  }
  return problems;
}
