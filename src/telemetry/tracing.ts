// Traces over OTLP, on when the standard OpenTelemetry endpoint variable is set. This module is all that
// loads otherwise: the SDK, the exporter and the interceptors are in tracing-sdk.ts, imported on first use
// (by a path that resolves from dist/cli/main.bundle.js too, which leaves it out: scripts/bundle-cli.mjs).
import type { ClientInterceptors } from '@temporalio/client';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import type { HttpAnswer, HttpCall } from '../domain/request/http-call';
import { UserError } from '../contract/errors';

/** What a traced process adds to its Temporal client, its worker and its API calls. */
export interface Tracing {
  client: ClientInterceptors;
  worker: { interceptors: WorkerInterceptors; sinks: InjectedSinks<OpenTelemetrySinks> };
  /** An API call as an HTTP client span, its context passed on in `traceparent`. */
  call(call: HttpCall, send: (call: HttpCall) => Promise<HttpAnswer>): Promise<HttpAnswer>;
  /** Sends what is buffered; a CLI command's spans would otherwise leave with the process. */
  shutdown(): Promise<void>;
}

/**
 * OTLP's endpoint variables, as OpenTelemetry's SDKs read them; OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none
 * turn it off. A setting the exporter would only fail on later (gRPC, an endpoint that is not a URL) is refused here.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return false;
  if (!(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT)) return false;
  checkTracingEnv(env);
  return true;
}

/**
 * clientsync's exporter speaks OTLP over HTTP: a collector's HTTP receiver takes it, whichever encoding is asked for.
 */
function checkTracingEnv(env: NodeJS.ProcessEnv): void {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[name];
    if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf') {
      throw new UserError(
        `${name}=${protocol}: clientsync sends traces over OTLP/HTTP; unset it and point the endpoint at the collector's HTTP port (4318)`,
      );
    }
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const value = env[name];
    if (value && !isHttpUrl(value)) {
      throw new UserError(
        `${name} is not an http(s) URL; set it to the collector's OTLP/HTTP address, such as http://localhost:4318`,
      );
    }
  }
}

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** Where spans go, as the exporter resolves it, for the worker's first line: without a user or password in the URL. */
export function tracesEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${env.OTEL_EXPORTER_OTLP_ENDPOINT!.replace(/\/$/, '')}/v1/traces`;
  try {
    const url = new URL(endpoint);
    url.username = url.password = '';
    return url.href;
  } catch {
    return endpoint;
  }
}

let started: Promise<Tracing> | undefined;
let current: Tracing | undefined;

/** Starts tracing once per process, as `service` (clientsync-worker, clientsync-cli); undefined when it is off. */
export async function startTracing(service: string): Promise<Tracing | undefined> {
  if (!tracingWanted()) return undefined;
  started ??= import('../telemetry/tracing-sdk').then((sdk) => (current = sdk.startTracingSdk(service)));
  return started;
}

/** The started tracing, for code on the hot path that must not wait (API calls). */
export const activeTracing = (): Tracing | undefined => current;

export async function stopTracing(): Promise<void> {
  if (started) await (await started).shutdown();
}

/**
 * The sink a traced batch's workflow exports its spans through. A worker without tracing still has it, as
 * a no-op, for batches started by a traced client: their spans are dropped, not logged as a missing sink.
 */
export const untracedWorkflowSinks = (): InjectedSinks<OpenTelemetrySinks> => ({
  exporter: { export: { fn: () => undefined, callDuringReplay: false } },
});
