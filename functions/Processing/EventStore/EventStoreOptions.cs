namespace EventProcessors.Processing.EventStore;

/// <summary>Settings of the event store (configuration section <c>EventStore</c>).</summary>
public sealed class EventStoreOptions
{
    public const string SectionName = "EventStore";

    /// <summary><c>tables</c> (default: the TableStorage account, Azure, Azurite or in memory) or <c>postgres</c>.</summary>
    public string Backend { get; set; } = "tables";

    /// <summary>Npgsql connection string when <see cref="Backend"/> is <c>postgres</c>.</summary>
    public string? PostgresConnection { get; set; }

    /// <summary>PostgreSQL schema of the tables. Default <c>event_store</c>.</summary>
    public string PostgresSchema { get; set; } = "event_store";

    /// <summary>Whether the self-hosted worker runs the audit consumer that fills the store. Default true.</summary>
    public bool Audit { get; set; } = true;

    /// <summary>The Table Storage table. Default <c>Events</c>.</summary>
    public string TableName { get; set; } = "Events";

    /// <summary>How long events are kept unless <see cref="TenantRetention"/> says otherwise. Default 90 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Retention per tenant id, overriding <see cref="Retention"/> (e.g. <c>EventStore__TenantRetention__acme=365.00:00:00</c>).</summary>
    public Dictionary<string, TimeSpan> TenantRetention { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Base64 AES key (16, 24 or 32 bytes) that confidential payloads are encrypted with before they are stored. Without one
    /// their data is not stored. Restricted payloads are never stored. Default: none.
    /// </summary>
    public string? ConfidentialDataKey { get; set; }

    /// <summary>How often the self-hosted worker sweeps expired events (the Function App: hourly, SweepEventStore). Default 1 hour.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan RetentionFor(string tenant) => TenantRetention.TryGetValue(tenant, out var days) ? days : Retention;
}
