/** RequestOption: where a value (page size, page token, partition value, cursor) is injected. */
import { systemError } from "../errors.js";
import { type ManifestNode, nodeType, optionalString } from "./node.js";

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

  static from(node: ManifestNode, where: string): RequestOption {
    if (nodeType(node) !== "RequestOption") {
      throw systemError(`Manifest: ${where} must be a RequestOption, got ${nodeType(node)}`);
    }
    const inject = node.inject_into;
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
