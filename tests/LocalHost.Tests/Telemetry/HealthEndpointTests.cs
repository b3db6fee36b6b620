using System.Net;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.Processing.Actions;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.Processing.Hosting;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventProcessors.LocalHost.Tests.Telemetry;

/// <summary>
/// <c>/healthz</c> and <c>/readyz</c> of <c>serve</c> against real RabbitMQ and Azurite. The broker "goes away" by deleting the
/// test's virtual host (every connection to it closes, its queues vanish) and comes back by recreating it; the shared broker
/// itself is never stopped.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class HealthEndpointTests(RabbitMqFixture rabbit, AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private RabbitVirtualHost? _vhost;
    private IHost? _host;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public async Task InitializeAsync() => _vhost = await rabbit.CreateVirtualHostAsync("health");

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            _host.Dispose();
        }
        _http.Dispose();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task Ready_while_broker_and_storage_answer_not_ready_while_the_vhost_is_gone_and_ready_again_after_it_returns()
    {
        var port = await StartServeAsync(new Dictionary<string, string?>
        {
            [LocalHostSettingNames.Transport] = "rabbitmq",
            [SettingNames.RabbitMQConnection] = _vhost!.Uri.ToString(),
            ["LocalHost:Operations:ProbeTimeout"] = "00:00:02",
        });
        var health = new Uri($"http://127.0.0.1:{port}/");

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(health, "healthz"))).StatusCode);
        var ready = await _http.GetAsync(new Uri(health, "readyz"));
        Assert.Equal((HttpStatusCode.OK, "ready"), (ready.StatusCode, (await ready.Content.ReadAsStringAsync()).Trim()));

        await RabbitMqFixture.RabbitCtlAsync("delete_vhost", _vhost.Name);
        var down = await WaitForAsync(new Uri(health, "readyz"), HttpStatusCode.ServiceUnavailable);
        Assert.Contains("broker:", down, StringComparison.Ordinal);
        Assert.DoesNotContain("storage:", down, StringComparison.Ordinal);
        // Liveness is not readiness: the process is fine, restarting it would not bring the broker back.
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(health, "healthz"))).StatusCode);

        await RabbitMqFixture.RabbitCtlAsync("add_vhost", _vhost.Name);
        await RabbitMqFixture.RabbitCtlAsync("set_permissions", "-p", _vhost.Name, rabbit.User, ".*", ".*", ".*");
        // The client reconnects and its topology recovery declares the queues again.
        Assert.Equal("ready", (await WaitForAsync(new Uri(health, "readyz"), HttpStatusCode.OK)).Trim());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri(health, "metrics"))).StatusCode);
    }

    [Fact]
    public async Task Under_serve_kafka_ready_while_the_cluster_answers_every_group_not_ready_while_its_broker_is_down_and_ready_again_after()
    {
        using var kafka = KafkaMockCluster.StartMock(brokers: 1);
        kafka.CreateTopic(Destinations.MesTopic, 2);
        kafka.CreateTopic(Destinations.MesDeadLetterTopic, 1);
        var port = await StartServeAsync(new Dictionary<string, string?>
        {
            [LocalHostSettingNames.Transport] = "inmemory",
            [SettingNames.KafkaBrokers] = kafka.BootstrapServers,
            ["LocalHost:Operations:ProbeTimeout"] = "00:00:05",
        });
        var readyz = new Uri($"http://127.0.0.1:{port}/readyz");

        // Each MES action's consumer group is asked for its lag on mes-events (a topic is not a queue: this was a 503 for ever).
        Assert.Equal("ready", (await WaitForAsync(readyz, HttpStatusCode.OK)).Trim());

        kafka.BrokerDown(kafka.BrokerIds[0]);
        var down = await WaitForAsync(readyz, HttpStatusCode.ServiceUnavailable);
        Assert.Contains("broker: kafka", down, StringComparison.Ordinal);
        Assert.DoesNotContain("storage:", down, StringComparison.Ordinal);

        kafka.BrokerUp(kafka.BrokerIds[0]);
        Assert.Equal("ready", (await WaitForAsync(readyz, HttpStatusCode.OK)).Trim());
    }

    [Fact]
    public async Task A_health_port_another_process_holds_fails_the_start_with_the_setting_to_change_and_stops_cleanly()
    {
        using var holder = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        // The probe is never reached: the endpoint fails before it serves a request.
        var endpoint = new HealthEndpoint(null!, Microsoft.Extensions.Options.Options.Create(new OperationsOptions { HealthPort = port }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<HealthEndpoint>.Instance);

        var refused = await Assert.ThrowsAsync<HealthPortUnavailableException>(() => endpoint.StartAsync(CancellationToken.None));
        Assert.Equal(port, refused.Port);
        Assert.Contains("LocalHost__Operations__HealthPort", refused.Message, StringComparison.Ordinal);
        Assert.Null(endpoint.Address);
        await endpoint.StopAsync(CancellationToken.None); // was an ObjectDisposedException from the listener that never started
    }

    /// <summary>The worker as <c>serve</c> runs it with its health endpoint, on Azurite under a table prefix of its own; returns the port.</summary>
    private async Task<int> StartServeAsync(Dictionary<string, string?> settings)
    {
        var port = IngestionListener.FreePort();
        settings[SettingNames.TableStorage] = azurite.ConnectionString;
        settings[SettingNames.TableNamePrefix] = "h" + Guid.NewGuid().ToString("N")[..10];
        settings["LocalHost:Operations:HealthPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLocalHost(builder.Configuration);
        builder.Services.AddWorkerTelemetry(builder.Configuration, operations: true);
        _host = builder.Build();
        await _host.StartAsync();
        return port;
    }

    private async Task<string> WaitForAsync(Uri uri, HttpStatusCode status)
    {
        var deadline = DateTimeOffset.UtcNow + Timeout;
        string last = "";
        while (DateTimeOffset.UtcNow < deadline)
        {
            var response = await _http.GetAsync(uri);
            last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            if (response.StatusCode == status) return await response.Content.ReadAsStringAsync();
            await Task.Delay(250);
        }
        throw new TimeoutException($"{uri} did not answer {(int)status} within {Timeout}; last answer {last}");
    }
}
