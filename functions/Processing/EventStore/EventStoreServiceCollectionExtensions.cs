using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.EventStore;

public static class EventStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the event store (<see cref="EventStoreOptions.Backend"/>: the TableStorage account, or PostgreSQL), the
    /// audit <see cref="EventRecorder"/>, the <see cref="EventTracer"/> and the <see cref="EventReplayer"/>.
    /// </summary>
    public static IServiceCollection AddEventStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EventStoreOptions>().Bind(configuration.GetSection(EventStoreOptions.SectionName));
        services.TryAddSingleton<IEventStore>(sp => IsPostgres(sp.GetRequiredService<IOptions<EventStoreOptions>>().Value)
            ? new PostgresEventStore(sp.GetRequiredService<IOptions<EventStoreOptions>>(), sp.GetRequiredService<TimeProvider>())
            : new TableEventStore(sp.GetRequiredService<ITableServiceClient>(), sp.GetRequiredService<IOptions<EventStoreOptions>>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new EventCapture(sp.GetRequiredService<IOptions<EventStoreOptions>>().Value));
        services.TryAddSingleton(sp => new EventRecorder(sp.GetRequiredService<IEventStore>(), sp.GetRequiredService<EventCapture>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<EventRecorder>>() ?? NullLogger<EventRecorder>.Instance));
        services.TryAddSingleton(sp => (IIdempotencyRecords)sp.GetRequiredService<IIdempotencyStore>());
        services.TryAddSingleton<EventTracer>();
        services.TryAddSingleton<EventReplayer>();
        return services;
    }

    private static bool IsPostgres(EventStoreOptions options) => options.Backend.Trim().ToLowerInvariant() switch
    {
        "tables" or "table" or "" => false,
        "postgres" or "postgresql" => true,
        var other => throw new ArgumentException($"Unknown EventStore:Backend '{other}': use tables or postgres."),
    };
}
