/**
 * ISO-8601 durations (PT1M, PT0.001S, P1D...) in seconds: the manifest writes cursor granularities
 * and rate intervals this way, as Airbyte's schema does.
 */
export function durationSeconds(iso: string): number {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m || iso === "P" || iso.endsWith("T")) throw new Error(`not an ISO-8601 duration: ${iso}`);
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
}
