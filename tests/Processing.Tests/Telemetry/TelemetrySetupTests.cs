using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace EventProcessors.Processing.Tests.Telemetry;

/// <summary>Which providers <see cref="TelemetrySetup"/> registers: a span is made only when an exporter sends it somewhere.</summary>
public sealed class TelemetrySetupTests
{
    [Fact]
    public void Without_an_exporter_nothing_listens_for_spans()
    {
        using var services = Build([]);
        Assert.Null(services.GetService<TracerProvider>());
    }

    [Fact]
    public void With_an_otlp_endpoint_the_products_spans_are_traced()
    {
        using var services = Build(new() { [TelemetrySetup.OtlpEndpointSetting] = "http://127.0.0.1:4318", [TelemetrySetup.OtlpProtocolSetting] = "http/protobuf" });
        Assert.NotNull(services.GetService<TracerProvider>());
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddEventProcessorsTelemetry(configuration, TelemetryHost.Worker);
        return services.BuildServiceProvider();
    }
}
