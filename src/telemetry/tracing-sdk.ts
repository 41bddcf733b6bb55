// OpenTelemetry's SDK for a traced process: spans batched to OTLP/HTTP at the endpoint the standard
// variables name, W3C trace context, and Temporal's interceptors (tracing.ts loads this on first use).
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { HttpAnswer, HttpCall } from '../domain/request/http-call';
import { DEFAULT_OPTIONS } from '../contract/options';
import type { Tracing } from './tracing';

export function startTracingSdk(service: string): Tracing {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the default name.
  const resource = Resource.default().merge(
    new Resource({ [ATTR_SERVICE_NAME]: process.env.OTEL_SERVICE_NAME ?? service }),
  );
  const processor = new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register(); // AsyncLocalStorage context and the W3C propagator, which the interceptors use
  const tracer = trace.getTracer('clientsync');
  return {
    client: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    call: (call, send) => tracedCall(tracer, call, send),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * An HTTP client span as OpenTelemetry's semantic conventions name it; a status of 400 or more is an error, unless
 * --ok-status takes it.
 */
function tracedCall(
  tracer: ReturnType<typeof trace.getTracer>,
  call: HttpCall,
  send: (call: HttpCall) => Promise<HttpAnswer>,
): Promise<HttpAnswer> {
  const method = call.request?.method ?? DEFAULT_OPTIONS.method;
  const attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: method,
    'clientsync.batch_id': call.batchId,
    'clientsync.client_id': call.client.id,
  };
  return tracer.startActiveSpan(method, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const traceHeaders: Record<string, string> = {};
      propagation.inject(context.active(), traceHeaders);
      const answer = await send({ ...call, traceHeaders });
      if (answer.url) {
        const url = new URL(answer.url);
        span.setAttributes({
          [ATTR_URL_FULL]: answer.url,
          [ATTR_SERVER_ADDRESS]: url.hostname,
          [ATTR_SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        });
      }
      if (answer.status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, answer.status);
      const error =
        answer.status === null
          ? errorTypeOf(answer)
          : answer.status >= 400 && answer.verdict.kind !== 'success'
            ? String(answer.status)
            : undefined;
      if (error) {
        span.setAttribute(ATTR_ERROR_TYPE, error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return answer;
    } finally {
      span.end();
    }
  });
}

/** Why no answer came, as a low-cardinality error.type: the verdict's reason up to its first colon. */
function errorTypeOf(answer: HttpAnswer): string {
  const reason = 'reason' in answer.verdict ? answer.verdict.reason : 'unknown';
  return reason.split(':')[0] || 'unknown';
}
