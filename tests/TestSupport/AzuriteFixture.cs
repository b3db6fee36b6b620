using System.Net.Sockets;
using EventProcessors.Processing.Storage;
using Xunit;

namespace EventProcessors.TestSupport;

/// <summary>
/// The real Azurite Table endpoint. The connection string comes from <c>AZURITE_CONNECTION_STRING</c>
/// (default <c>UseDevelopmentStorage=true</c>). When the endpoint does not answer, every test using the fixture
/// fails with a message saying how to start it: these tests never skip.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string ConnectionStringVariable = "AZURITE_CONNECTION_STRING";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public AzuriteFixture()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        ConnectionString = string.IsNullOrWhiteSpace(configured) ? "UseDevelopmentStorage=true" : configured;
        Tables = (AzureTableServiceClient)TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = ConnectionString });
        Endpoint = Tables.Uri;
    }

    public string ConnectionString { get; }

    public Uri Endpoint { get; }

    public AzureTableServiceClient Tables { get; }

    public async Task InitializeAsync()
    {
        using var tcp = new TcpClient();
        using var timeout = new CancellationTokenSource(ConnectTimeout);
        try
        {
            await tcp.ConnectAsync(Endpoint.Host, Endpoint.Port, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Azurite is not reachable at {Endpoint.Host}:{Endpoint.Port} ({e.Message}). " +
                $"Start it with 'scripts/services.sh start', or point {ConnectionStringVariable} at a running Table endpoint.", e);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
