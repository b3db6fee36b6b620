using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Quality;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Quality;

/// <summary>flows.md <c>CreateInspection</c>: consumer group <c>quality.create-inspection</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class CreateInspectionFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "quality.create-inspection";

    [Function("CreateInspection")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<CreateInspectionOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("CreateInspection", record, context).ConfigureAwait(false);
        return new CreateInspectionOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            Inspections = outputs.Rows<Inspection>(),
        };
    }
}

/// <summary>The output bindings of <see cref="CreateInspectionFunction"/>; null properties emit nothing.</summary>
public sealed class CreateInspectionOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.Inspections", Bindings.Sql)]
    public Inspection[]? Inspections { get; init; }
}
