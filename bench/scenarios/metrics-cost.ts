import { freePort } from '../../src/temporal-server/free-port';
import { startStack } from '../stack';
import { startOtlpReceiver } from '../../test/helpers/otlp-receiver';
import { type Row, fmt, clientFile, timeCliBatch } from './common';

/**
 * What `worker --metrics` and traces cost, through the CLI against an API that answers at once: the same batch
 * on a worker without either (the baseline), on one that serves metrics, and, CLI and worker both traced, with
 * every span sent to an OTLP/HTTP receiver, in the same run. Target for metrics: under 3%; traces have none.
 */
export async function metricsCost(quick: boolean): Promise<Row[]> {
  const scenario = 'metrics (0 ms API, c=32, 100 clients/activity, through the CLI)';
  const n = quick ? 5000 : 50_000;
  const s = await startStack({ latencyMs: 0 });
  const receiver = await startOtlpReceiver();
  const rows: Row[] = [];
  try {
    const file = await clientFile(n);
    const warmUp = await clientFile(Math.floor(n / 5));
    const flags = ['--concurrency', '32', '--clients-per-activity', '100'];
    const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint };
    let base: { rate: number; cpuUs: number } | undefined;
    for (const [label, queue, args, env] of [
      ['worker without --metrics (baseline)', 'plain', [], {}],
      ['worker --metrics, scraped by nobody', 'metered', ['--metrics', `127.0.0.1:${await freePort()}`], {}],
      ['traces on (OTLP/HTTP to a local receiver), no --metrics', 'traced', [], traced],
    ] as const) {
      const worker = await s.startWorker(queue, [...args], env);
      await timeCliBatch(s, warmUp, queue, flags, env); // each worker measured warm (JIT, code cache), as it runs overnight
      const before = await s.cpu();
      const { rate, summary } = await timeCliBatch(s, file, queue, flags, env);
      const cpuUs = (((await s.cpu()).workers - before.workers) / summary.processed) * 1e6;
      await worker.stop();
      base ??= { rate, cpuUs };
      const cost = cpuUs / base.cpuUs - 1;
      rows.push({
        scenario,
        measure: `${label}, ${n.toLocaleString('en-US')} clients (worker CPU per client ${fmt(cpuUs, 0)} µs, ${cost >= 0 ? '+' : ''}${fmt(cost * 100, 1)}%${queue === 'traced' ? `; ${receiver.spans.length.toLocaleString('en-US')} spans received, warm-up included` : ''})`,
        value: `${fmt(rate)} calls/s`,
        ratio: fmt(rate / base.rate, 2),
        ...(queue === 'metered'
          ? { target: 'worker CPU per client < +3%', verdict: cost < 0.03 && summary.succeeded === n ? 'pass' : 'FAIL' }
          : {}),
      });
    }
  } finally {
    await receiver.close();
    await s.close();
  }
  return rows;
}
