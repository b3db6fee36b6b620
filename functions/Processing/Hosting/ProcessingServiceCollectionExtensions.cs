using Azure.Core;
using Azure.Identity;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Invoicing;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Hosting;

/// <summary>Setting names both hosts read (the names of local.settings.sample.json).</summary>
public static class SettingNames
{
    /// <summary>Table Storage connection string for idempotency records, state and (self-hosted) business records; <c>inmemory</c> for none.</summary>
    public const string TableStorage = "TableStorage";
    /// <summary>Identity-based alternative to <see cref="TableStorage"/>: the Table endpoint, used with DefaultAzureCredential.</summary>
    public const string TableServiceUri = "TableStorage:tableServiceUri";
    /// <summary>Prefix for every table name, to keep environments apart in one account.</summary>
    public const string TableNamePrefix = "TableStorage:tableNamePrefix";
    /// <summary>AMQP URI of RabbitMQ (the RabbitMQ trigger's ConnectionStringSetting).</summary>
    public const string RabbitMQConnection = "RabbitMQConnection";
    /// <summary>Kafka bootstrap servers.</summary>
    public const string KafkaBrokers = "KafkaBrokers";
    /// <summary>SQL connection string of the SQL output bindings.</summary>
    public const string SqlConnectionString = "SqlConnectionString";
}

public static class ProcessingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the pipeline, the idempotency store, the table account and every consumer action of this
    /// assembly, configured from <paramref name="configuration"/> (section <c>Processing</c> and the
    /// <see cref="SettingNames"/>; the children of <c>TableStorage</c>, e.g. <c>TableStorage__maxRetries</c>, bind to
    /// <see cref="TableStorageOptions"/>). <paramref name="credential"/> (default <see cref="DefaultAzureCredential"/>,
    /// so a managed identity where there is one) is used when a Table endpoint rather than a connection string is configured.
    /// </summary>
    public static IServiceCollection AddEventProcessing(this IServiceCollection services, IConfiguration configuration, TokenCredential? credential = null)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ProcessingOptions>().Bind(configuration.GetSection(ProcessingOptions.SectionName));
        services.AddOptions<InvoicingOptions>().Bind(configuration.GetSection(InvoicingOptions.SectionName));
        services.AddOptions<TableStorageOptions>().Configure(options =>
        {
            // The setting itself is the connection string; its children are the other options (retry policy and all).
            configuration.GetSection(SettingNames.TableStorage).Bind(options);
            options.ConnectionString = configuration[SettingNames.TableStorage] is { Length: > 0 } connection ? connection : options.ConnectionString;
            options.TableServiceUri = configuration[SettingNames.TableServiceUri] is { Length: > 0 } uri ? new Uri(uri) : null;
            options.TableNamePrefix = configuration[SettingNames.TableNamePrefix] ?? "";
        });
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TableStorageOptions>>().Value;
            return TableServiceClientFactory.Create(options, credential ?? (options.TableServiceUri is null ? null : new DefaultAzureCredential()));
        });
        services.TryAddSingleton<IIdempotencyStore, TableIdempotencyStore>();
        services.TryAddSingleton<EventPipeline>();
        services.AddEventStore(configuration);
        foreach (var actionType in ConsumerActionTypes)
        {
            services.AddSingleton(actionType);
            services.AddSingleton(sp => (IConsumerAction)sp.GetRequiredService(actionType));
        }
        return services;
    }

    /// <summary>Every consumer action class in this assembly.</summary>
    public static IReadOnlyList<Type> ConsumerActionTypes { get; } = typeof(Consumers).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(IConsumerAction).IsAssignableFrom(t))
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToArray();
}
