using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace EventProcessors.LocalHost.Hosting;

public static class WorkerTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// The self-hosted worker's telemetry (<see cref="TelemetrySetup"/>: Azure Monitor and/or OTLP as configured), the
    /// queue-depth monitor, and for <c>serve</c> (<paramref name="operations"/>) the health endpoints and, when
    /// <see cref="OperationsOptions.PrometheusPort"/> is set, the Prometheus scrape endpoint.
    /// </summary>
    public static IOpenTelemetryBuilder AddWorkerTelemetry(this IServiceCollection services, IConfiguration configuration, bool operations = false)
    {
        services.AddOptions<OperationsOptions>().Bind(configuration.GetSection(OperationsOptions.SectionName));
        services.TryAddSingleton<WorkerProbe>();
        services.AddHostedService<QueueDepthMonitor>();
        var builder = services.AddEventProcessorsTelemetry(configuration, TelemetryHost.Worker);
        if (!operations) return builder;
        services.TryAddSingleton<HealthEndpoint>();
        services.AddHostedService(sp => sp.GetRequiredService<HealthEndpoint>());
        var prometheus = configuration.GetSection(OperationsOptions.SectionName).Get<OperationsOptions>()?.PrometheusPort ?? 0;
        if (prometheus > 0)
            builder.WithMetrics(metrics => metrics.AddPrometheusHttpListener(o => { o.Host = "127.0.0.1"; o.Port = prometheus; }));
        return builder;
    }
}

/// <summary>Reads every queue's ready count each <see cref="OperationsOptions.QueueDepthInterval"/> (through <see cref="WorkerProbe"/>) for the gauges.</summary>
public sealed class QueueDepthMonitor(WorkerProbe probe, IOptions<OperationsOptions> options, ILogger<QueueDepthMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.QueueDepthInterval;
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var readiness = await probe.CheckAsync(stoppingToken).ConfigureAwait(false);
            if (!readiness.Ready) logger.LogWarning("Worker not ready: {Problems}", string.Join("; ", readiness.Problems));
        }
    }
}
