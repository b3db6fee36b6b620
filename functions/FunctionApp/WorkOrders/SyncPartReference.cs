using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.WorkOrders;

/// <summary>flows.md <c>SyncPartReference</c>: consumer group <c>work-order.sync-part-reference</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class SyncPartReferenceFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "work-order.sync-part-reference";

    [Function("SyncPartReference")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<SyncPartReferenceOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("SyncPartReference", record, context).ConfigureAwait(false);
        return new SyncPartReferenceOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
        };
    }
}

/// <summary>The output bindings of <see cref="SyncPartReferenceFunction"/>; null properties emit nothing.</summary>
public sealed class SyncPartReferenceOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }
}
