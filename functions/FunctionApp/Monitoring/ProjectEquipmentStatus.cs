using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Monitoring;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Monitoring;

/// <summary>flows.md <c>ProjectEquipmentStatus</c>: consumer group <c>monitoring.project-equipment-status</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class ProjectEquipmentStatusFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "monitoring.project-equipment-status";

    [Function("ProjectEquipmentStatus")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<ProjectEquipmentStatusOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("ProjectEquipmentStatus", record, context).ConfigureAwait(false);
        return new ProjectEquipmentStatusOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            EquipmentStatusChanges = outputs.Rows<EquipmentStatusChangeRecord>(),
        };
    }
}

/// <summary>The output bindings of <see cref="ProjectEquipmentStatusFunction"/>; null properties emit nothing.</summary>
public sealed class ProjectEquipmentStatusOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.EquipmentStatusChanges", Bindings.Sql)]
    public EquipmentStatusChangeRecord[]? EquipmentStatusChanges { get; init; }
}
