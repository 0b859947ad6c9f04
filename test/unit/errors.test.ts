/** The failure policy of src/errors.ts: what stops the sync, what fails one stream, what is a bug. */
import { describe, expect, it } from "vitest";
import {
  ConnectorError,
  asConnectorError,
  asFailure,
  configError,
  failsCheck,
  failsStream,
  isBug,
  isFatal,
  systemError,
  transientError,
} from "../../src/errors.js";

describe("failure policy", () => {
  it("a config_error stops the sync; API answers and spent retries fail one stream", () => {
    expect(isFatal(configError("bad token"))).toBe(true);
    expect(failsStream(configError("bad token"))).toBe(false);
    for (const error of [systemError("HTTP 400"), transientError("HTTP 503")]) {
      expect(isFatal(error)).toBe(false);
      expect(failsStream(error)).toBe(true);
    }
  });

  it("check reports config and transient errors as FAILED, and raises system errors", () => {
    expect(failsCheck(configError("x"))).toBe(true);
    expect(failsCheck(transientError("x"))).toBe(true);
    expect(failsCheck(systemError("x"))).toBe(false);
    expect(failsCheck(new Error("x"))).toBe(false);
  });

  it("anything thrown that is not a ConnectorError is a bug: fatal, a system_error with the stack as its internal message only", () => {
    const thrown = new TypeError("x is not a function");
    const bug = asFailure(thrown, "Reading tasks failed");
    expect(bug).toBeInstanceOf(ConnectorError);
    expect(bug.message).toBe("Reading tasks failed: x is not a function");
    expect(bug.failureType).toBe("system_error");
    expect(bug.internalMessage).toBe(thrown.stack);
    expect(bug.message).not.toContain(" at ");
    expect(isBug(bug) && isFatal(bug) && !failsStream(bug)).toBe(true);
    expect(isBug(thrown)).toBe(true);
    expect(asFailure("a string", "Boom").internalMessage).toBeUndefined();
  });

  it("our own errors pass as they are, with no stack; a bad command line is a config_error", () => {
    const ours = systemError("HTTP 400", "GET https://api.test/x");
    expect(asFailure(ours, "ignored")).toBe(ours);
    expect(isBug(ours)).toBe(false);
    const usage = asConnectorError(Object.assign(new Error("Unknown option '--x'"), { code: "ERR_PARSE_ARGS_UNKNOWN_OPTION" }), "Usage: …");
    expect(usage.failureType).toBe("config_error");
    expect(usage.internalMessage).toBeUndefined();
    expect(asConnectorError(new RangeError("boom"), "Usage").bug).toBe(true);
  });
});
