using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Quality;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Quality;

/// <summary>flows.md <c>RaiseNonConformance</c>: consumer group <c>quality.raise-ncr</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class RaiseNonConformanceFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "quality.raise-ncr";

    [Function("RaiseNonConformance")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<RaiseNonConformanceOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("RaiseNonConformance", record, context).ConfigureAwait(false);
        return new RaiseNonConformanceOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            Ncrs = outputs.Rows<Ncr>(),
        };
    }
}

/// <summary>The output bindings of <see cref="RaiseNonConformanceFunction"/>; null properties emit nothing.</summary>
public sealed class RaiseNonConformanceOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.Ncrs", Bindings.Sql)]
    public Ncr[]? Ncrs { get; init; }
}
