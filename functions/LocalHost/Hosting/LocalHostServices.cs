using EventProcessors.LocalHost.Audit;
using EventProcessors.LocalHost.Records;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.InMemory;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Hosting;

/// <summary>Settings of the self-hosted worker beyond those of <see cref="SettingNames"/>.</summary>
public static class LocalHostSettingNames
{
    /// <summary><c>inmemory</c> (default) or <c>rabbitmq</c>.</summary>
    public const string Transport = "LocalHost:Transport";
}

public enum TransportKind { InMemory, RabbitMq }

public static class LocalHostServiceCollectionExtensions
{
    /// <summary>
    /// Registers the whole worker: pipeline, stores and every action (<see cref="ProcessingServiceCollectionExtensions.AddEventProcessing"/>),
    /// the transport chosen by <c>LocalHost:Transport</c> (RabbitMQ at <c>RabbitMQConnection</c>, or an in-memory broker; MES actions on
    /// Kafka when <c>KafkaBrokers</c> is set),
    /// the record writer, the <see cref="EventWorker"/> and the hourly <see cref="RetentionSweeper"/> as hosted services. <c>TableStorage</c> defaults to <c>inmemory</c>.
    /// </summary>
    public static IServiceCollection AddLocalHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEventProcessing(configuration);
        services.AddOptions<WorkerOptions>().Bind(configuration.GetSection(WorkerOptions.SectionName));
        services.TryAddSingleton(sp => new RecordWriter(sp.GetRequiredService<ITableServiceClient>()));
        services.TryAddSingleton(sp => new TimelineRecorder(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.TimelineCapacity));
        services.AddSingleton<ITimelineObserver>(sp => sp.GetRequiredService<TimelineRecorder>());
        services.TryAddSingleton<IMessageTransport>(sp =>
        {
            IMessageTransport queues = TransportOf(configuration) switch
            {
                TransportKind.RabbitMq => RabbitMqTransport.ConnectAsync(RabbitMqOptionsOf(configuration),
                    sp.GetRequiredService<ILoggerFactory>().CreateLogger<RabbitMqTransport>()).GetAwaiter().GetResult(),
                _ => new InMemoryTransport(sp.GetService<InMemoryBroker>() ?? new InMemoryBroker()),
            };
            // With Kafka brokers configured, MES actions consume mes-events there: the production topology in one process.
            var kafka = KafkaOptions.From(configuration);
            return kafka.IsConfigured
                ? new MesOnKafkaTransport(new KafkaTransport(kafka, sp.GetRequiredService<ILoggerFactory>().CreateLogger<KafkaTransport>()), queues)
                : queues;
        });
        // The audit consumer starts first, so its queues exist before the first event can be published.
        if (configuration.GetSection(EventStoreOptions.SectionName).Get<EventStoreOptions>()?.Audit ?? true)
            services.AddHostedService<AuditWorker>();
        services.TryAddSingleton<EventWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<EventWorker>());
        services.AddOptions<RetentionSweepOptions>().Bind(configuration.GetSection(RetentionSweepOptions.SectionName));
        services.AddHostedService<RetentionSweeper>();
        return services;
    }

    public static TransportKind TransportOf(IConfiguration configuration) => configuration[LocalHostSettingNames.Transport]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "inmemory" or "in-memory" or "memory" => TransportKind.InMemory,
        "rabbitmq" or "rabbit" or "amqp" => TransportKind.RabbitMq,
        var other => throw new ArgumentException($"Unknown transport '{other}': use inmemory or rabbitmq."),
    };

    public static RabbitMqOptions RabbitMqOptionsOf(IConfiguration configuration)
    {
        var options = new RabbitMqOptions
        {
            ConnectTimeout = (configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions()).ConnectTimeout,
        };
        if (configuration[SettingNames.RabbitMQConnection] is { Length: > 0 } uri) options.Uri = new Uri(uri);
        return options;
    }

    /// <summary>The configuration the CLI runs with: <c>local.settings.json</c>'s Values (if present), then environment variables, then flags.</summary>
    public static IConfigurationRoot BuildConfiguration(IDictionary<string, string?> overrides, string? settingsFile = null)
    {
        var builder = new ConfigurationBuilder();
        builder.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Embedded defaults: nothing outside this process is needed.
            [SettingNames.TableStorage] = TableServiceClientFactory.InMemoryConnectionString,
            [LocalHostSettingNames.Transport] = "inmemory",
        });
        var file = settingsFile ?? Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json");
        if (File.Exists(file)) builder.AddInMemoryCollection(LocalSettingsValues(file));
        builder.AddEnvironmentVariables();
        builder.AddInMemoryCollection(overrides);
        return builder.Build();
    }

    /// <summary>The "Values" of a local.settings.json, with <c>__</c> read as the section separator, as the Functions host does.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> LocalSettingsValues(string file)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
        if (!document.RootElement.TryGetProperty("Values", out var values)) yield break;
        foreach (var property in values.EnumerateObject())
            yield return new(property.Name.Replace("__", ":", StringComparison.Ordinal), property.Value.ToString());
    }
}
