using Npgsql;
using Xunit;

namespace EventProcessors.TestSupport;

/// <summary>
/// The real PostgreSQL that <c>scripts/services.sh</c> starts (port 5433). The connection string comes from
/// <c>POSTGRES_CONNECTION_STRING</c> (default <c>Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres</c>). When
/// it does not answer, every test using the fixture fails saying how to start it: these tests never skip. Tests isolate
/// themselves in a schema of their own (<see cref="UniqueSchema"/>).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string ConnectionStringVariable = "POSTGRES_CONNECTION_STRING";

    public PostgresFixture()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        ConnectionString = string.IsNullOrWhiteSpace(configured) ? "Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres;Timeout=5" : configured;
    }

    public string ConnectionString { get; }

    /// <summary>A schema name no other test uses.</summary>
    public static string UniqueSchema(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable with '{ConnectionString}' ({e.Message}). " +
                $"Start it with 'scripts/services.sh start', or point {ConnectionStringVariable} at a running server.", e);
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
