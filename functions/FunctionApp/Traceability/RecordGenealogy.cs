using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Traceability;

/// <summary>flows.md <c>RecordGenealogy</c>: consumer group <c>traceability.record-genealogy</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class RecordGenealogyFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "traceability.record-genealogy";

    [Function("RecordGenealogy")]
    [FixedDelayRetry(Bindings.KafkaMaxRetries, Bindings.KafkaRetryDelay)]
    public async Task<RecordGenealogyOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("RecordGenealogy", record, context).ConfigureAwait(false);
        return new RecordGenealogyOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
        };
    }
}

/// <summary>The output bindings of <see cref="RecordGenealogyFunction"/>; null properties emit nothing.</summary>
public sealed class RecordGenealogyOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic)]
    public string? DeadLetter { get; init; }
}
