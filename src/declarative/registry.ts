/**
 * The component registry: for each category of component, which `type`s this runtime builds and
 * with which builder. Each table lives next to its builders (authenticator.ts, paginator.ts...);
 * this module gathers them, so the supported set reads in one place and tests can check it
 * against Airbyte's schema. Adding a component to the runtime is adding a row to its category's
 * table; the "unsupported component" errors list the table's keys.
 *
 * Error handlers are built by error-handler.ts, which dispatches its own nested components
 * (response filters, backoff strategies) and the handlers inside a CompositeErrorHandler.
 */
import { AUTHENTICATORS } from "./authenticator.js";
import { VALIDATION_STRATEGIES, VALIDATORS } from "./config-rules.js";
import { INCREMENTAL_SYNCS } from "./cursor.js";
import { PAGINATION_STRATEGIES, PAGINATORS } from "./paginator.js";
import { PARTITION_ROUTERS } from "./partition-router.js";
import { EXTRACTORS, RECORD_FILTERS } from "./record-selector.js";
import { ERROR_HANDLERS, REQUESTERS } from "./requester.js";
import { SCHEMA_LOADERS } from "./schema-loader.js";
import { CHECKS } from "./source.js";
import { RETRIEVERS } from "./stream.js";

/** Category (the manifest field that holds such a component) → its registry. */
export const COMPONENT_REGISTRY = {
  check: CHECKS,
  retriever: RETRIEVERS,
  requester: REQUESTERS,
  authenticator: AUTHENTICATORS,
  error_handler: ERROR_HANDLERS,
  paginator: PAGINATORS,
  pagination_strategy: PAGINATION_STRATEGIES,
  partition_router: PARTITION_ROUTERS,
  extractor: EXTRACTORS,
  record_filter: RECORD_FILTERS,
  incremental_sync: INCREMENTAL_SYNCS,
  schema_loader: SCHEMA_LOADERS,
  validations: VALIDATORS,
  validation_strategy: VALIDATION_STRATEGIES,
} as const;

/** The component types of each category, as "unsupported component" errors list them. */
export function supportedTypes(): Record<keyof typeof COMPONENT_REGISTRY, string[]> {
  const entries = Object.entries(COMPONENT_REGISTRY).map(([category, registry]) => [category, Object.keys(registry)]);
  return Object.fromEntries(entries) as Record<keyof typeof COMPONENT_REGISTRY, string[]>;
}
