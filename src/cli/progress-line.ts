import { CANARY_PAUSE, type BatchProgress } from '../contract/progress';
import { paceLine } from '../domain/pace/pace-view';

/** The pace states a progress line mentions: the batch is slowed or stopped by the API. */
const PACE_SHOWN = new Set(['backing-off', 'holding', 'api-unavailable']);

/** Calls per second between two progress samples. */
export function rateBetween(a: { at: number; processed: number }, b: { at: number; processed: number }): number {
  const seconds = (b.at - a.at) / 1000;
  return seconds > 0 ? Math.max(0, (b.processed - a.processed) / seconds) : 0;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 90) return `${Math.ceil(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

/** One line: bar, processed/total, calls/s, ETA, state, and the resume point while waiting. */
export function progressLine(p: BatchProgress, callsPerSecond: number, width = 30, now = Date.now()): string {
  const total = p.total ?? 0;
  const ratio = total > 0 ? Math.min(1, p.processed / total) : 0;
  const filled = Math.round(ratio * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const of = p.total === null ? `${p.processed}` : `${p.processed}/${p.total}`;
  const eta =
    p.state === 'running' && callsPerSecond > 0 && total > 0
      ? ` · ETA ${duration((total - p.processed) / callsPerSecond)}`
      : '';
  const fails = p.failed ? ` · ${p.failed} failed` : '';
  const wait =
    p.state === 'waiting-for-token'
      ? ` · resume from ${p.resumeFromClientId} (${p.pending} pending${p.lastTokenError ? `; ${p.lastTokenError}` : ''}) · run \`clientsync refresh-token ${p.batchId}\``
      : '';
  const next = p.pausedBecause?.startsWith(CANARY_PAUSE) ? 'to call the rest' : 'fix that, then';
  const paused =
    p.state === 'paused' && p.pausedBecause
      ? ` · ${p.pausedBecause}; ${next} run \`clientsync resume ${p.batchId}\``
      : '';
  const why = p.failure ? ` · ${p.failure}` : '';
  const pace =
    p.state === 'running' && p.pace && PACE_SHOWN.has(p.pace.state) ? ` · ${paceLine(p.pace, p.failed)}` : '';
  const expires =
    p.state === 'running' && p.tokenExpiresAt
      ? ` · token expires in ${duration(Math.max(0, Date.parse(p.tokenExpiresAt) - now) / 1000)}`
      : '';
  return `${bar} ${Math.floor(ratio * 100)}% ${of} · ${callsPerSecond.toFixed(1)} calls/s${eta} · ${p.state}${fails}${expires}${pace}${wait}${paused}${why}`;
}
