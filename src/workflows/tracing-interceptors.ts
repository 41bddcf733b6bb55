import type {
  ActivityInput,
  ContinueAsNewInput,
  DisposeInput,
  GetLogAttributesInput,
  LocalActivityInput,
  Next,
  QueryInput,
  SignalInput,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

type OtelWorkflow = typeof import('@temporalio/interceptors-opentelemetry/lib/workflow');

/** The header in which a traced client passes its span context (the interceptors' TRACE_HEADER). */
const TRACE_HEADER = '_tracer-data';

/**
 * OpenTelemetry's workflow interceptors, for a batch whose start carried a trace context only. The module is
 * always in the bundle, so a worker with tracing and one without are the same build; its code loads and
 * runs only for a traced batch. Whether a run is traced comes from its start's headers, which are in
 * history, so replay decides the same way.
 */
class TracedWhenStartedTraced {
  private otel?: {
    inbound: WorkflowInboundCallsInterceptor;
    outbound: WorkflowOutboundCallsInterceptor;
    internals: WorkflowInternalsInterceptor;
  };

  readonly inbound: WorkflowInboundCallsInterceptor = {
    execute: (input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) => {
      if (input.headers[TRACE_HEADER]) this.otel = load();
      return this.otel ? this.otel.inbound.execute!(input, next) : next(input);
    },
    handleSignal: (input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) =>
      this.otel ? this.otel.inbound.handleSignal!(input, next) : next(input),
    handleUpdate: (input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) =>
      this.otel ? this.otel.inbound.handleUpdate!(input, next) : next(input),
    validateUpdate: (input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'validateUpdate'>) =>
      this.otel ? this.otel.inbound.validateUpdate!(input, next) : next(input),
    handleQuery: (input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>) =>
      this.otel ? this.otel.inbound.handleQuery!(input, next) : next(input),
  };

  readonly outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) =>
      this.otel ? this.otel.outbound.scheduleActivity!(input, next) : next(input),
    scheduleLocalActivity: (
      input: LocalActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
    ) => (this.otel ? this.otel.outbound.scheduleLocalActivity!(input, next) : next(input)),
    continueAsNew: (input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) =>
      this.otel ? this.otel.outbound.continueAsNew!(input, next) : next(input),
    getLogAttributes: (
      input: GetLogAttributesInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>,
    ) => (this.otel ? this.otel.outbound.getLogAttributes!(input, next) : next(input)),
  };

  readonly internals: WorkflowInternalsInterceptor = {
    dispose: (input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>) =>
      this.otel ? this.otel.internals.dispose!(input, next) : next(input),
  };
}

function load() {
  const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as OtelWorkflow;
  return {
    inbound: new otel.OpenTelemetryInboundInterceptor(),
    outbound: new otel.OpenTelemetryOutboundInterceptor(),
    internals: new otel.OpenTelemetryInternalsInterceptor(),
  };
}

export const interceptors = (): WorkflowInterceptors => {
  const traced = new TracedWhenStartedTraced();
  return { inbound: [traced.inbound], outbound: [traced.outbound], internals: [traced.internals] };
};
