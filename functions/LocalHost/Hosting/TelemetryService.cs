using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EventProcessors.LocalHost.Hosting;

/// <summary>
/// Exports the product's traces and metrics over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads
/// the standard OTEL_* variables). Providers are built with the SDK directly and disposed with the host, which flushes them.
/// </summary>
public sealed class TelemetryService(IConfiguration configuration) : IHostedService, IDisposable
{
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private TracerProvider? _tracing;
    private MeterProvider? _metrics;

    public bool Enabled => !string.IsNullOrWhiteSpace(configuration[EndpointSetting]);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!Enabled) return Task.CompletedTask;
        var resource = ResourceBuilder.CreateDefault().AddService("event-processors-localhost");
        _tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(ProcessingTelemetry.Name)
            .AddOtlpExporter()
            .Build();
        _metrics = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddMeter(ProcessingTelemetry.Name)
            .AddOtlpExporter()
            .Build();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _tracing?.Dispose();
        _metrics?.Dispose();
        _tracing = null;
        _metrics = null;
    }
}
