/** Small helpers over JSON Schema documents (the spec's connectionSpecification). */

/** The schema of property `key` of an object schema, looking through oneOf/anyOf variants. */
export function propertySchema(node: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  if (!node) return undefined;
  const props = node.properties as Record<string, unknown> | undefined;
  const direct = props?.[key];
  if (direct && typeof direct === "object") return direct as Record<string, unknown>;
  for (const variants of [node.oneOf, node.anyOf]) {
    if (!Array.isArray(variants)) continue;
    for (const v of variants) {
      const found = v && typeof v === "object" ? propertySchema(v as Record<string, unknown>, key) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}
