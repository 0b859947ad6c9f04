/**
 * The HTTP sender in process: a scripted fake transport, a fake clock (sleeping advances it at
 * once) and the manifest's own error-handler components. No server, no wall-clock waits.
 */
import { describe, expect, it } from "vitest";
import { buildErrorHandler, checkingRecords, type ErrorHandler } from "../../src/declarative/error-handler.js";
import { RecordSelector } from "../../src/declarative/record-selector.js";
import { ConnectorError } from "../../src/errors.js";
import { type HttpRequest, type HttpResult, NetworkError } from "../../src/http/client.js";
import type { Clock } from "../../src/http/clock.js";
import { RateController } from "../../src/http/rate-controller.js";
import { type SendPolicy, send, urlForMessages } from "../../src/http/sender.js";

type Reply = { status: number; body?: unknown; headers?: Record<string, string>; text?: string } | "network" | Error;

class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** Answers with `replies` in turn (the last one again once they run out), keeping every request. */
function fakeTransport(...replies: Array<Reply | ((request: HttpRequest) => Reply)>) {
  const requests: HttpRequest[] = [];
  const transport = async (request: HttpRequest): Promise<HttpResult> => {
    requests.push(request);
    const next = replies[Math.min(requests.length, replies.length) - 1]!;
    const reply = typeof next === "function" ? next(request) : next;
    if (reply === "network") throw new NetworkError("ECONNRESET: socket hang up");
    if (reply instanceof Error) throw reply;
    const text = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
    return { status: reply.status, headers: reply.headers ?? {}, text };
  };
  return { transport, requests };
}

const RECORDS = { data: [{ gid: "1" }] };
const REQUEST: HttpRequest = { method: "GET", url: "https://api.test/v1/items?limit=100&offset=abc", headers: {} };
const defaultHandler = (node: Record<string, unknown> = {}): ErrorHandler => buildErrorHandler({ type: "DefaultErrorHandler", ...node }, "h", {});

function policy(transport: SendPolicy["transport"], clock: FakeClock, extra: Partial<SendPolicy> = {}): SendPolicy {
  return {
    transport,
    handler: defaultHandler(),
    limits: { maxRateLimitWaits: 3, backoffBaseSeconds: 1 },
    what: "items (whole stream)",
    clock,
    random: () => 1,
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe("send: retries", () => {
  it("retries a 5xx, then returns the success", async () => {
    const clock = new FakeClock();
    const { transport, requests } = fakeTransport({ status: 503 }, { status: 502 }, { status: 200, body: RECORDS });
    const final = await send(REQUEST, policy(transport, clock));
    expect(final).toMatchObject({ kind: "success", answer: { status: 200, body: RECORDS } });
    expect(requests).toHaveLength(3);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("waits what the handler's backoff strategy says, else an exponential backoff with jitter", async () => {
    const constant = new FakeClock();
    const handler = defaultHandler({ backoff_strategies: [{ type: "ConstantBackoffStrategy", backoff_time_in_seconds: 7 }] });
    await send(REQUEST, policy(fakeTransport({ status: 500 }, { status: 500 }, { status: 200, body: RECORDS }).transport, constant, { handler }));
    expect(constant.sleeps).toEqual([7000, 7000]);

    const exponential = new FakeClock();
    await send(REQUEST, policy(fakeTransport("network", "network", "network", { status: 200, body: RECORDS }).transport, exponential, { limits: { maxRateLimitWaits: 3, backoffBaseSeconds: 2 } }));
    expect(exponential.sleeps).toEqual([2000, 4000, 8000]);

    const lowJitter = new FakeClock();
    await send(REQUEST, policy(fakeTransport({ status: 500 }, { status: 200, body: RECORDS }).transport, lowJitter, { random: () => 0, limits: { maxRateLimitWaits: 3, backoffBaseSeconds: 2 } }));
    expect(lowJitter.sleeps, "jitter takes at most half off").toEqual([1000]);
  });

  it("retries a network error", async () => {
    const clock = new FakeClock();
    const { transport, requests } = fakeTransport("network", { status: 200, body: RECORDS });
    expect((await send(REQUEST, policy(transport, clock))).kind).toBe("success");
    expect(requests).toHaveLength(2);
  });

  it("gives up after max_retries with a transient_error naming the last answer, the URL without its query", async () => {
    const clock = new FakeClock();
    const { transport, requests } = fakeTransport({ status: 500, body: { errors: [{ message: "boom" }] } });
    const error = await failure(send(REQUEST, policy(transport, clock, { handler: defaultHandler({ max_retries: 2 }) })));
    expect(error.failureType).toBe("transient_error");
    expect(error.message).toBe("Reading items (whole stream) failed after 2 retries: HTTP 500: boom");
    expect(error.internalMessage).toBe("GET https://api.test/v1/items");
    expect(requests).toHaveLength(3);
  });

  it("lets the caller word the error once the retries are spent", async () => {
    const { transport } = fakeTransport("network");
    const error = await failure(
      send(REQUEST, policy(transport, new FakeClock(), { retriesSpent: (problem, attempts) => new ConnectorError(`${attempts} tries: ${problem}`, "transient_error") })),
    );
    expect(error.message).toBe("6 tries: network error: ECONNRESET: socket hang up");
  });

  it("lets anything but a network error through: a bug is not retried", async () => {
    const { transport, requests } = fakeTransport(new TypeError("not a function"));
    await expect(send(REQUEST, policy(transport, new FakeClock()))).rejects.toBeInstanceOf(TypeError);
    expect(requests).toHaveLength(1);
  });
});

describe("send: 429s", () => {
  it("cuts and pauses the rate controller for Retry-After, reports when requests resume, then sends again", async () => {
    const clock = new FakeClock();
    const rate = new RateController({ initialRate: 1_000_000, maxRate: 1_000_000, maxConcurrency: 4, clock });
    const resumes: number[] = [];
    const { transport, requests } = fakeTransport({ status: 429, headers: { "retry-after": "7" } }, { status: 200, body: RECORDS });
    const start = clock.now();
    const final = await send(REQUEST, policy(transport, clock, { rate, onRateLimited: async (at) => void resumes.push(at) }));
    expect(final.kind).toBe("success");
    expect(requests).toHaveLength(2);
    expect(resumes).toEqual([start + 7000]);
    expect(clock.now() - start, "the second request waited out the Retry-After").toBeGreaterThanOrEqual(7000);
    expect(rate.snapshot().rateLimited).toBe(1);
  });

  it("takes the wait from the handler's WaitTimeFromHeader, capped by max_waiting_time_in_seconds", async () => {
    const clock = new FakeClock();
    const rate = new RateController({ initialRate: 1_000_000, maxRate: 1_000_000, maxConcurrency: 4, clock });
    const handler = defaultHandler({ backoff_strategies: [{ type: "WaitTimeFromHeader", header: "Retry-After", max_waiting_time_in_seconds: 30 }] });
    const resumes: number[] = [];
    const { transport } = fakeTransport({ status: 429, headers: { "retry-after": "3600" } }, { status: 200, body: RECORDS });
    await send(REQUEST, policy(transport, clock, { rate, handler, onRateLimited: async (at) => void resumes.push(at) }));
    expect(resumes).toEqual([1_000_000 + 30_000]);
  });

  it("stops waiting after maxRateLimitWaits with a transient_error", async () => {
    const clock = new FakeClock();
    const rate = new RateController({ initialRate: 1_000_000, maxRate: 1_000_000, maxConcurrency: 4, clock });
    const { transport, requests } = fakeTransport({ status: 429, headers: { "retry-after": "1" } });
    const error = await failure(send(REQUEST, policy(transport, clock, { rate })));
    expect(error.failureType).toBe("transient_error");
    expect(error.message).toMatch(/^Still rate limited after 3 waits while reading items \(whole stream\)/);
    expect(requests).toHaveLength(4);
  });

  it("without a rate controller, waits out the 429 itself", async () => {
    const clock = new FakeClock();
    const { transport } = fakeTransport({ status: 429, headers: { "retry-after": "2" } }, { status: 200, body: RECORDS });
    await send(REQUEST, policy(transport, clock));
    expect(clock.sleeps).toEqual([2000]);
  });
});

describe("send: 401", () => {
  const authenticator = () => {
    let generation = 1;
    let refreshes = 0;
    return {
      headers: async () => ({ Authorization: `Bearer t${generation}` }),
      refreshAfterUnauthorized: async () => {
        refreshes++;
        generation++;
        return true;
      },
      get refreshes() {
        return refreshes;
      },
    };
  };

  it("refreshes the credentials once and sends again with the new ones", async () => {
    const auth = authenticator();
    const { transport, requests } = fakeTransport((r) => (r.headers.Authorization === "Bearer t1" ? { status: 401 } : { status: 200, body: RECORDS }));
    expect((await send(REQUEST, policy(transport, new FakeClock(), { auth }))).kind).toBe("success");
    expect(auth.refreshes).toBe(1);
    expect(requests.map((r) => r.headers.Authorization)).toEqual(["Bearer t1", "Bearer t2"]);
  });

  it("refreshes once per request: a second 401 is the handler's (a config_error)", async () => {
    const auth = authenticator();
    const { transport, requests } = fakeTransport({ status: 401, body: { errors: [{ message: "Not Authorized" }] } });
    const error = await failure(send(REQUEST, policy(transport, new FakeClock(), { auth })));
    expect(error.failureType).toBe("config_error");
    expect(error.message).toBe("Reading items (whole stream) failed: HTTP 401: Not Authorized");
    expect(auth.refreshes).toBe(1);
    expect(requests).toHaveLength(2);
  });
});

describe("send: answers of the wrong shape", () => {
  const selector = RecordSelector.from({ type: "RecordSelector", extractor: { type: "DpathExtractor", field_path: ["data"] } }, "s", {});
  const handler = checkingRecords(defaultHandler({ max_retries: 2 }), (body) => selector.shapeProblem(body));

  it("a 2xx whose records are not where the selector looks fails as a system_error naming the shape", async () => {
    const { transport, requests } = fakeTransport({ status: 200, body: { data: "x" } });
    const error = await failure(send(REQUEST, policy(transport, new FakeClock(), { handler })));
    expect(error.failureType).toBe("system_error");
    expect(error.message).toBe(
      'Reading items (whole stream) failed: the API answered HTTP 200 with a body of an unexpected shape ("data" is a string ("x"), not a list of records)',
    );
    expect(requests).toHaveLength(1);
  });

  it("a 2xx carrying an error envelope is retried like a 5xx", async () => {
    const envelope = { status: 200, body: { errors: [{ message: "Server overloaded" }] } };
    const clock = new FakeClock();
    const { transport, requests } = fakeTransport(envelope, { status: 200, body: RECORDS });
    expect((await send(REQUEST, policy(transport, clock, { handler }))).kind).toBe("success");
    expect(requests).toHaveLength(2);

    const error = await failure(send(REQUEST, policy(fakeTransport(envelope).transport, new FakeClock(), { handler })));
    expect(error.failureType).toBe("transient_error");
    expect(error.message).toBe("Reading items (whole stream) failed after 2 retries: HTTP 200 with an error instead of records: Server overloaded");
  });

  it("a 2xx that is not JSON is retried", async () => {
    const { transport, requests } = fakeTransport({ status: 200, text: "<html>" }, { status: 200, body: RECORDS });
    expect((await send(REQUEST, policy(transport, new FakeClock(), { handler }))).kind).toBe("success");
    expect(requests).toHaveLength(2);
  });
});

describe("send: final answers", () => {
  it("returns IGNORE and RESET_PAGINATION with the manifest's message, and counts them as successes for the rate", async () => {
    const handler = defaultHandler({
      response_filters: [
        { type: "HttpResponseFilter", http_codes: [404], action: "IGNORE", error_message: "gone" },
        { type: "HttpResponseFilter", error_message_contains: "expired", action: "RESET_PAGINATION" },
      ],
    });
    const clock = new FakeClock();
    const rate = new RateController({ initialRate: 10, maxRate: 1_000_000, maxConcurrency: 4, clock });
    const ignored = await send(REQUEST, policy(fakeTransport({ status: 404 }).transport, clock, { handler, rate }));
    expect(ignored).toMatchObject({ kind: "ignored", message: "gone", answer: { status: 404 } });
    const reset = await send(REQUEST, policy(fakeTransport({ status: 400, body: { errors: [{ message: "offset expired" }] } }).transport, clock, { handler, rate }));
    expect(reset.kind).toBe("reset");
    expect(reset.message).toBeUndefined();
    expect(rate.snapshot().rate).toBeGreaterThan(10);
  });

  it("names the request in a FAIL's internal message without query, fragment or credentials", () => {
    expect(urlForMessages("https://user:pw@api.test/v1/items?opt_fields=a,b#x")).toBe("https://api.test/v1/items");
    expect(urlForMessages("not a url?q=1")).toBe("not a url");
  });
});

describe("send: Retry-After, bounded", () => {
  const NOON = Date.parse("2027-03-01T12:00:00Z");
  const httpDate = (ms: number): string => new Date(ms).toUTCString();

  it("fails at once, naming the wait the API asked for, when Retry-After is beyond the cap (default 300 s)", async () => {
    const clock = new FakeClock();
    const rate = new RateController({ initialRate: 1_000_000, maxRate: 1_000_000, maxConcurrency: 4, clock });
    const { transport, requests } = fakeTransport({ status: 429, headers: { "retry-after": "999999" } }, { status: 200, body: RECORDS });
    const error = await failure(send(REQUEST, policy(transport, clock, { rate })));
    expect(error.failureType).toBe("transient_error");
    expect(error.message).toMatch(/asked to wait 999999 s \(11\.6 days\) before items \(whole stream\) is requested again/);
    expect(error.message).toMatch(/Retry-After: 999999\), longer than the longest wait allowed \(300 s \(5\.0 minutes\), the max_retry_after_seconds setting\)/);
    expect(requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(rate.pausedFor(), "the rate controller was not paused").toBe(0);
  });

  it("takes the cap from the limits, else from the rate controller (the user's setting)", async () => {
    const clock = new FakeClock();
    const rate = new RateController({ initialRate: 1_000_000, maxRate: 1_000_000, maxConcurrency: 4, clock, maxPauseSeconds: 10 });
    const eleven = fakeTransport({ status: 429, headers: { "retry-after": "11" } });
    expect((await failure(send(REQUEST, policy(eleven.transport, clock, { rate })))).message).toMatch(/wait 11 s .*\(10 s, the/);
    const ten = fakeTransport({ status: 429, headers: { "retry-after": "10" } }, { status: 200, body: RECORDS });
    expect((await send(REQUEST, policy(ten.transport, clock, { rate }))).kind).toBe("success");
    const limited = fakeTransport({ status: 429, headers: { "retry-after": "10" } });
    const limits = { maxRateLimitWaits: 3, backoffBaseSeconds: 1, maxRetryAfterSeconds: 5 };
    expect((await failure(send(REQUEST, policy(limited.transport, clock, { limits })))).failureType).toBe("transient_error");
    expect(limited.requests).toHaveLength(1);
  });

  it("caps a retried answer's wait from the handler's strategy too (a 503 with Retry-After)", async () => {
    const clock = new FakeClock();
    const handler = defaultHandler({ backoff_strategies: [{ type: "WaitTimeFromHeader", header: "Retry-After" }] });
    const { transport, requests } = fakeTransport({ status: 503, headers: { "retry-after": "86400" } });
    const error = await failure(send(REQUEST, policy(transport, clock, { handler })));
    expect(error.message).toMatch(/asked to wait 86400 s \(1\.0 days\).*HTTP 503/);
    expect(requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("reads Retry-After as an HTTP date: the seconds until then, 0 for a date past, capped the same way", async () => {
    const soon = new FakeClock(NOON);
    const inTwoMinutes = fakeTransport({ status: 429, headers: { "retry-after": httpDate(NOON + 120_000) } }, { status: 200, body: RECORDS });
    await send(REQUEST, policy(inTwoMinutes.transport, soon));
    expect(soon.sleeps).toEqual([120_000]);

    const past = new FakeClock(NOON);
    const yesterday = fakeTransport({ status: 429, headers: { "retry-after": httpDate(NOON - 86_400_000) } }, { status: 200, body: RECORDS });
    await send(REQUEST, policy(yesterday.transport, past));
    expect(past.sleeps).toEqual([0]);

    const far = new FakeClock(NOON);
    const nextWeek = fakeTransport({ status: 429, headers: { "retry-after": httpDate(NOON + 7 * 86_400_000) } });
    expect((await failure(send(REQUEST, policy(nextWeek.transport, far)))).message).toMatch(/wait 604800 s \(7\.0 days\)/);
    expect(far.sleeps).toEqual([]);
  });

  it("WaitTimeFromHeader reads an HTTP date too (without a regex)", () => {
    const handler = defaultHandler({ backoff_strategies: [{ type: "WaitTimeFromHeader", header: "Retry-After" }] });
    const answer = (value: string) => ({ status: 429, headers: { "retry-after": value }, body: undefined });
    const seconds = handler.backoff(answer(httpDate(Date.now() + 90_000)), 1)!;
    expect(seconds).toBeGreaterThan(80);
    expect(seconds).toBeLessThanOrEqual(90);
    expect(handler.backoff(answer(httpDate(Date.now() - 90_000)), 1)).toBe(0);
    expect(handler.backoff(answer("soon"), 1)).toBeUndefined();
    expect(handler.backoff(answer("-5"), 1)).toBeUndefined();
  });
});
