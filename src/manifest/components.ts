/**
 * Default-type insertion and `$parameters` propagation, as Airbyte's CDK does them after resolving
 * references.
 *
 * Parameters flow from parent to child; a child's own `$parameters` override the parent's. On a
 * typed component each parameter fills the field of the same name when that field is unset or
 * falsy (that is how `$parameters: {path: ...}` becomes `HttpRequester.path`), and every
 * component keeps the merged map as `$parameters` for `parameters.*` in templates. JSON schemas
 * (objects typed "object") are left untouched.
 */
type Obj = Record<string, unknown>;

/** `<parent type>.<field>` → the type a component there has when it names none. */
const DEFAULT_TYPES: Record<string, string> = {
  "DeclarativeSource.check": "CheckStream",
  "DeclarativeSource.spec": "Spec",
  "DeclarativeSource.streams": "DeclarativeStream",
  "DeclarativeSource.concurrency_level": "ConcurrencyLevel",
  "Spec.config_normalization_rules": "ConfigNormalizationRules",
  "DeclarativeStream.retriever": "SimpleRetriever",
  "DeclarativeStream.schema_loader": "JsonFileSchemaLoader",
  "SimpleRetriever.requester": "HttpRequester",
  "SimpleRetriever.record_selector": "RecordSelector",
  "SimpleRetriever.paginator": "NoPagination",
  "RecordSelector.extractor": "DpathExtractor",
  "RecordSelector.record_filter": "RecordFilter",
  "HttpRequester.error_handler": "DefaultErrorHandler",
  "CompositeErrorHandler.error_handlers": "DefaultErrorHandler",
  "DefaultErrorHandler.response_filters": "HttpResponseFilter",
  "DefaultPaginator.page_size_option": "RequestOption",
  "DefaultPaginator.page_token_option": "RequestOption",
  "SubstreamPartitionRouter.parent_stream_configs": "ParentStreamConfig",
  "ParentStreamConfig.stream": "DeclarativeStream",
  "ParentStreamConfig.request_option": "RequestOption",
  "ListPartitionRouter.request_option": "RequestOption",
  "DatetimeBasedCursor.start_datetime": "MinMaxDatetime",
  "DatetimeBasedCursor.end_datetime": "MinMaxDatetime",
  "DatetimeBasedCursor.start_time_option": "RequestOption",
  "DatetimeBasedCursor.end_time_option": "RequestOption",
  "AddFields.fields": "AddedFieldDefinition",
};

const isObj = (v: unknown): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);

function isJsonSchema(node: Obj): boolean {
  const t = node.type;
  return t === "object" || (Array.isArray(t) && t.includes("object"));
}

export function propagateComponents(manifest: Obj): Obj {
  // A component shared by several places of the resolved tree (a reference resolves once, see
  // references.ts) is visited once per distinct context (its parent type, field and parameters)
  // and the result shared too.
  const visited = new WeakMap<object, Map<string, unknown>>();
  const visit = (node: unknown, parentType: string | undefined, field: string | undefined, params: Obj): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item, parentType, field, params));
    if (!isObj(node) || isJsonSchema(node)) return node;
    const context = `${parentType ?? ""}.${field ?? ""}.${JSON.stringify(params)}`;
    let results = visited.get(node);
    if (results === undefined) visited.set(node, (results = new Map()));
    if (results.has(context)) return results.get(context);
    const out = visitComponent(node, parentType, field, params);
    results.set(context, out);
    return out;
  };
  const visitComponent = (node: Obj, parentType: string | undefined, field: string | undefined, params: Obj): Obj => {
    const out: Obj = { ...node };
    if (out.type === undefined && parentType && field) {
      const implied = DEFAULT_TYPES[`${parentType}.${field}`];
      if (implied) out.type = implied;
    }
    const type = typeof out.type === "string" ? out.type : undefined;
    if (!type) {
      // A plain mapping (e.g. request_parameters, definitions): walk through, keep parent type.
      for (const [key, value] of Object.entries(out)) {
        if (key === "config_overrides") continue;
        out[key] = visit(value, undefined, undefined, params);
      }
      return out;
    }
    const own = isObj(out.$parameters) ? out.$parameters : {};
    const merged: Obj = { ...params, ...own };
    for (const [key, value] of Object.entries(merged)) {
      if (key !== "$parameters" && key !== "type" && !out[key]) out[key] = value;
    }
    if (Object.keys(merged).length) out.$parameters = merged;
    else delete out.$parameters;
    for (const [key, value] of Object.entries(out)) {
      if (key === "$parameters" || key === "config_overrides") continue;
      // A parameter named like the field being descended into is not passed down that field.
      const { [key]: _skipped, ...down } = merged;
      void _skipped;
      out[key] = visit(value, type, key, down);
    }
    return out;
  };
  return visit(manifest, undefined, undefined, {}) as Obj;
}
