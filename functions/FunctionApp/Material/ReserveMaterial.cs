using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Material;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Material;

/// <summary>flows.md <c>ReserveMaterial</c>: consumer group <c>material.reserve-material</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class ReserveMaterialFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "material.reserve-material";

    [Function("ReserveMaterial")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<ReserveMaterialOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("ReserveMaterial", record, context).ConfigureAwait(false);
        return new ReserveMaterialOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            MaterialReservations = outputs.Rows<ReservationLine>(),
        };
    }
}

/// <summary>The output bindings of <see cref="ReserveMaterialFunction"/>; null properties emit nothing.</summary>
public sealed class ReserveMaterialOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.MaterialReservations", Bindings.Sql)]
    public ReservationLine[]? MaterialReservations { get; init; }
}
