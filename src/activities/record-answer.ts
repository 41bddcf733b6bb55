import type { Context } from '@temporalio/activity';
import type { ClientOutcome } from '../contract/batch-input';
import type { ClientEntry } from '../contract/sources';
import type { BatchKey, ResultsStore } from '../store/results-store';
import { countProcessed, labelsOf } from '../telemetry/call-metrics';
import type { HttpAnswer } from '../domain/request/http-call';
import { outcomeLine, resultProblemLine } from './expected-failures';

/**
 * Records a client's last answer, after `attempts` calls: its success with the body the store keeps, or its
 * failure with the reason and status. Counted, and a failure said in one line.
 */
export async function recordAnswer(
  store: ResultsStore,
  key: BatchKey,
  client: ClientEntry,
  answer: Pick<HttpAnswer, 'verdict' | 'status' | 'body' | 'resultProblem' | 'latencyMs'>,
  attempts: number,
  log: Context['log'],
): Promise<Exclude<ClientOutcome, 'duplicate'>> {
  const { verdict, status } = answer;
  if (verdict.kind === 'success') {
    const line = answer.resultProblem && resultProblemLine(key.id, client.id, answer.resultProblem);
    if (line) log.warn(line);
    await store.recordSuccess(key, client.id, answer.body, status ?? 200, attempts, answer.latencyMs);
    countProcessed(labelsOf(key.id), 'succeeded');
    return 'succeeded';
  }
  const reason = 'reason' in verdict ? verdict.reason : 'unknown';
  await store.recordFailure(key, client.id, reason, status, attempts, false, answer.body || null, answer.latencyMs);
  countProcessed(labelsOf(key.id), 'failed');
  log.info(outcomeLine.failed(client.id, reason));
  return 'failed';
}
