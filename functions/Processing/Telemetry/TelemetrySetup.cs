using System.Reflection;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EventProcessors.Processing.Telemetry;

/// <summary>Which host exports: the value of the <c>eventprocessors.host.kind</c> resource attribute.</summary>
public enum TelemetryHost { FunctionApp, Worker }

/// <summary>
/// OpenTelemetry for both hosts, written once: the product's traces (<see cref="ProcessingTelemetry.ActivitySource"/>,
/// the Azure SDK's Table Storage client spans), metrics (<see cref="ProcessingTelemetry.Meter"/>) and logs (with their
/// scopes, which become custom dimensions in Application Insights) go to Azure Monitor when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set and over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set
/// (both at once is fine; neither exports nothing). The resource names the service, the host kind, the instance and the version.
/// </summary>
public static class TelemetrySetup
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";
    /// <summary><c>grpc</c> (default, the .NET exporter's) or <c>http/protobuf</c>.</summary>
    public const string OtlpProtocolSetting = "OTEL_EXPORTER_OTLP_PROTOCOL";
    public const string ServiceNameSetting = "OTEL_SERVICE_NAME";
    public const string ServiceNamespace = "event-processors";
    public const string HostKindAttribute = "eventprocessors.host.kind";

    /// <summary>The Azure SDK's own spans (Table Storage calls as dependencies); they need its activity-source switch.</summary>
    public const string AzureSdkSources = "Azure.*";

    /// <summary>
    /// Registers the exporters the configuration asks for. <paramref name="azureMonitor"/> adjusts the Azure Monitor
    /// exporter (tests point it at a local listener and turn off its live metrics and sampling).
    /// </summary>
    public static IOpenTelemetryBuilder AddEventProcessorsTelemetry(this IServiceCollection services, IConfiguration configuration, TelemetryHost host,
        Action<AzureMonitorExporterOptions>? azureMonitor = null)
    {
        var connectionString = configuration[ConnectionStringSetting];
        var endpoint = configuration[OtlpEndpointSetting];
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(ServiceName(configuration, host), ServiceNamespace, Version, autoGenerateServiceInstanceId: false, Instance(configuration))
                .AddAttributes([new(HostKindAttribute, HostKind(host))]));
        // Spans only when they go somewhere: a tracer provider without an exporter would still listen, and every message
        // would make its consumer and producer spans (and the Azure SDK its own) for nothing. Follow-ons then carry the
        // event's own trace context, so a trace stays one trace across a hop that exports nothing.
        if (connectionString is { Length: > 0 } || endpoint is { Length: > 0 })
        {
            AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
            builder.WithTracing(tracing => tracing.AddSource(ProcessingTelemetry.Name, AzureSdkSources));
        }
        builder
            .WithMetrics(metrics => metrics.AddMeter(ProcessingTelemetry.Name))
            .WithLogging(configureBuilder: null, options =>
            {
                options.IncludeScopes = true;
                options.IncludeFormattedMessage = true;
            });
        if (connectionString is { Length: > 0 })
        {
            builder.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                azureMonitor?.Invoke(options);
            });
        }
        if (endpoint is { Length: > 0 })
        {
            // The base endpoint as the OTLP spec defines it; the exporter appends /v1/traces, /v1/metrics, /v1/logs for HTTP.
            var protocol = configuration[OtlpProtocolSetting] is "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            builder.UseOtlpExporter(protocol, new Uri(endpoint));
        }
        return builder;
    }

    /// <summary>
    /// Sends what the providers hold now. A short-lived process (the demo, a CLI run) calls it before exiting: on disposal
    /// the Azure Monitor exporter writes pending telemetry to its offline storage for a later run instead of sending it.
    /// </summary>
    public static void Flush(IServiceProvider services, int timeoutMilliseconds = 10_000)
    {
        services.GetService<TracerProvider>()?.ForceFlush(timeoutMilliseconds);
        services.GetService<MeterProvider>()?.ForceFlush(timeoutMilliseconds);
        services.GetService<LoggerProvider>()?.ForceFlush(timeoutMilliseconds);
    }

    /// <summary><c>function-app</c> or <c>worker</c>.</summary>
    public static string HostKind(TelemetryHost host) => host == TelemetryHost.FunctionApp ? "function-app" : "worker";

    /// <summary>The product's version: the informational version of this assembly (without build metadata).</summary>
    public static string Version { get; } =
        (typeof(TelemetrySetup).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    /// <summary>
    /// <c>OTEL_SERVICE_NAME</c>, else the Function App's site name, else the host kind; with the namespace
    /// <c>event-processors</c> Application Insights shows the role <c>[event-processors]/worker</c> (or <c>/function-app</c>).
    /// </summary>
    public static string ServiceName(IConfiguration configuration, TelemetryHost host) =>
        configuration[ServiceNameSetting] is { Length: > 0 } configured ? configured
        : host == TelemetryHost.FunctionApp && configuration["WEBSITE_SITE_NAME"] is { Length: > 0 } site ? site
        : HostKind(host);

    /// <summary>The App Service instance id in Azure; elsewhere machine and process, so two workers on one machine differ.</summary>
    private static string Instance(IConfiguration configuration) =>
        configuration["WEBSITE_INSTANCE_ID"] is { Length: > 0 } instance ? instance : $"{Environment.MachineName}:{Environment.ProcessId}";
}
