using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Traceability;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Traceability;

/// <summary>flows.md <c>RecordGenealogy</c>: consumer group <c>traceability.record-genealogy</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class RecordGenealogyFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "traceability.record-genealogy";

    [Function("RecordGenealogy")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<RecordGenealogyOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("RecordGenealogy", record, context).ConfigureAwait(false);
        return new RecordGenealogyOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            TraceabilityEvents = outputs.Rows<TraceabilityEvent>(),
            GenealogyLinks = outputs.Rows<GenealogyLink>(),
        };
    }
}

/// <summary>The output bindings of <see cref="RecordGenealogyFunction"/>; null properties emit nothing.</summary>
public sealed class RecordGenealogyOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.TraceabilityEvents", Bindings.Sql)]
    public TraceabilityEvent[]? TraceabilityEvents { get; init; }

    [SqlOutput("dbo.GenealogyLinks", Bindings.Sql)]
    public GenealogyLink[]? GenealogyLinks { get; init; }
}
