import { describe, expect, it } from 'vitest';
import { tracesEndpoint, tracingWanted } from '../../src/telemetry/tracing';

describe('when tracing is on', () => {
  it("follows OpenTelemetry's variables: an OTLP endpoint turns it on, OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none off", () => {
    expect(tracingWanted({})).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });

  it('names the endpoint spans go to as the exporter resolves it, without a password in the URL', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(
      tracesEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t.example/otlp',
      }),
    ).toBe('https://t.example/otlp');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:s3cret@c.example' })).toBe(
      'https://c.example/v1/traces',
    );
  });
});

describe('a tracing setting the exporter would only fail on later', () => {
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };

  it('is refused in one line that names the fix: gRPC, or an endpoint that is not an http(s) URL', () => {
    expect(() => tracingWanted({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /^OTEL_EXPORTER_OTLP_PROTOCOL=grpc: clientsync sends traces over OTLP\/HTTP; unset it and point the endpoint at the collector's HTTP port \(4318\)$/,
    );
    expect(() => tracingWanted({ ...on, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toThrow(
      /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc/,
    );
    expect(() => tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /^OTEL_EXPORTER_OTLP_ENDPOINT is not an http\(s\) URL; set it to/,
    );
    expect(() => tracingWanted({ ...on, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'user:s3cret@c' })).toThrow(
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not/,
    );
  });

  it('takes either HTTP encoding, and checks nothing when tracing is off', () => {
    expect(tracingWanted({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toBe(true);
    expect(tracingWanted({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe(true);
    expect(tracingWanted({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('never echoes the endpoint, which may carry a password', () => {
    expect(() => tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://user:s3cret@c' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});
