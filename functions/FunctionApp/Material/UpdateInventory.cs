using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Material;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Material;

/// <summary>flows.md <c>UpdateInventory</c>: consumer group <c>material.update-inventory</c> on <c>mes-events</c>; dead letters to <c>mes-events.dead-letter</c>.</summary>
public sealed class UpdateInventoryFunction(FunctionRunner runner)
{
    public const string ConsumerGroup = "material.update-inventory";

    [Function("UpdateInventory")]
    [ExponentialBackoffRetry(Bindings.KafkaMaxRetries, Bindings.KafkaMinimumInterval, Bindings.KafkaMaximumInterval)]
    public async Task<UpdateInventoryOutput> RunAsync(
        [KafkaTrigger(Bindings.Kafka, Bindings.MesTopic, ConsumerGroup = ConsumerGroup, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
            Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)] KafkaRecord record,
        FunctionContext context)
    {
        var outputs = await runner.RunMesAsync("UpdateInventory", record, context).ConfigureAwait(false);
        return new UpdateInventoryOutput
        {
            Events = outputs.Events,
            DeadLetter = outputs.DeadLetter,
            InventoryAdjustments = outputs.Rows<InventoryAdjustment>(),
        };
    }
}

/// <summary>The output bindings of <see cref="UpdateInventoryFunction"/>; null properties emit nothing.</summary>
public sealed class UpdateInventoryOutput
{
    [KafkaOutput(Bindings.Kafka, Bindings.MesTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string[]? Events { get; init; }

    [KafkaOutput(Bindings.Kafka, Bindings.MesDeadLetterTopic, Protocol = Bindings.KafkaProtocol, AuthenticationMode = Bindings.KafkaAuthenticationMode,
        Username = Bindings.KafkaUsername, Password = Bindings.KafkaPassword, SslCaLocation = Bindings.KafkaSslCaLocation)]
    public string? DeadLetter { get; init; }

    [SqlOutput("dbo.InventoryAdjustments", Bindings.Sql)]
    public InventoryAdjustment[]? InventoryAdjustments { get; init; }
}
