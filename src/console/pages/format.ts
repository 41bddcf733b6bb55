// How the console writes numbers and times for people: the same everywhere on its pages.

/** A duration in seconds, as "42 s", "17 min" or "3.5 h". */
export function durationText(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Since an ISO time, as a duration up to now. */
export function sinceText(iso: string | null | undefined, now = Date.now()): string {
  return iso ? durationText(Math.max(0, (now - Date.parse(iso)) / 1000)) : '—';
}

export function rateText(callsPerSecond: number | null): string {
  return callsPerSecond === null ? '—' : `${callsPerSecond.toFixed(callsPerSecond < 10 ? 1 : 0)}/s`;
}

/** A whole percentage of processed over total, for the progress bar. */
export function percentOf(processed: number | null, total: number | null): number {
  return total ? Math.min(100, Math.floor(((processed ?? 0) / total) * 100)) : 0;
}

/** An ISO time to the second, in UTC, as people read it. */
export function timeText(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—';
}
