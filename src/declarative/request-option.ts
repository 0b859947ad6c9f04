/**
 * RequestOption: where a value (page size, page token, partition value, cursor) is injected into a
 * request. This runtime sends GET requests, so a value goes into the query or a header.
 */
import { systemError } from "../errors.js";
import type { RequestOption as RequestOptionNode } from "../manifest/components.generated.js";
import { nodeType, optionalString, rejectUnread } from "./node.js";

export interface RequestParts {
  params: Record<string, string>;
  headers: Record<string, string>;
}

export const emptyParts = (): RequestParts => ({ params: {}, headers: {} });

export class RequestOption {
  private constructor(
    readonly injectInto: "request_parameter" | "header",
    readonly fieldName: string,
  ) {}

  static from(component: object, where: string): RequestOption {
    if (nodeType(component) !== "RequestOption") {
      throw systemError(`Manifest: ${where} must be a RequestOption, got ${nodeType(component)}`);
    }
    const node = component as RequestOptionNode;
    rejectUnread(node, "RequestOption", where, ["inject_into", "field_name", "field_path"]);
    const inject: unknown = node.inject_into;
    const name = optionalString(node, "field_name", where) ??
      (Array.isArray(node.field_path) ? node.field_path.join(".") : undefined);
    if (!name) throw systemError(`Manifest: ${where} needs field_name`);
    if (inject !== "request_parameter" && inject !== "header") {
      throw systemError(
        `Manifest: ${where}.inject_into is ${String(inject)}; this runtime sends GET requests and supports request_parameter and header`,
      );
    }
    return new RequestOption(inject, name);
  }

  inject(parts: RequestParts, value: unknown): void {
    if (value === undefined || value === null || value === "") return;
    const text = typeof value === "string" ? value : JSON.stringify(value);
    if (this.injectInto === "header") parts.headers[this.fieldName] = text;
    else parts.params[this.fieldName] = text;
  }
}
