using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Pipeline;
using Microsoft.Azure.Functions.Worker;

namespace EventProcessors.FunctionApp.Audit;

/// <summary>
/// What the audit functions do, written once: the trigger's message to an <see cref="Contracts.InboundMessage"/> with its
/// transport coordinates, appended by the <see cref="EventRecorder"/> to the event store (Table Storage, the same
/// account as the idempotency records), and the <c>dbo.Events</c> row for the SQL output made from the event as stored.
/// A storage failure throws, so the trigger delivers the message again; an MES record is settled by the MES functions'
/// own rule (<see cref="FunctionRunner"/>).
/// </summary>
public sealed class AuditRunner(EventRecorder recorder, FunctionRunner runner)
{
    public async Task<EventRow> RecordCollectorAsync(string message, FunctionContext context)
    {
        var data = context.BindingContext?.BindingData;
        var where = new TransportInfo(TransportInfo.CollectorBus, Text(data, "Exchange") ?? Destinations.CollectorExchange, Text(data, "RoutingKey"));
        var (_, stored) = await recorder.RecordAsync(RabbitMQMessages.ToInbound(message, data), where, context.CancellationToken).ConfigureAwait(false);
        return EventRow.From(stored);
    }

    public Task RecordCollectorDeadLetterAsync(string message, FunctionContext context)
    {
        var data = context.BindingContext?.BindingData;
        var where = new TransportInfo(TransportInfo.CollectorBus, Text(data, "Exchange") ?? Destinations.DeadLetterExchange, Text(data, "RoutingKey"));
        return recorder.RecordDeadLetterAsync(RabbitMQMessages.ToInbound(message, data), where, context.CancellationToken);
    }

    public Task<FunctionOutputs> RecordMesAsync(KafkaRecord record, FunctionContext context)
    {
        var inbound = KafkaMessages.ToInbound(record);
        var where = new TransportInfo(TransportInfo.MesBus, record.Topic ?? Destinations.MesTopic, inbound.Key, record.Partition, record.Offset);
        return runner.RunMesAsync(Consumers.AuditMesEvents, record, context, async cancellationToken =>
        {
            try
            {
                var (_, stored) = await recorder.RecordAsync(inbound, where, cancellationToken).ConfigureAwait(false);
                return new ProcessingResult(ProcessingStatus.Completed, null, new ProcessingOutcome([], [OutcomeRecord.From(EventRow.From(stored))]));
            }
            catch (Exception ex) when (Failures.IsOutage(ex, cancellationToken))
            {
                return ProcessingResult.StoreUnavailable(null, "event store: " + ex.Message);
            }
        });
    }

    public Task RecordMesDeadLetterAsync(KafkaRecord record, FunctionContext context)
    {
        var inbound = KafkaMessages.ToInbound(record);
        var where = new TransportInfo(TransportInfo.MesBus, record.Topic ?? Destinations.MesDeadLetterTopic, inbound.Key, record.Partition, record.Offset);
        return recorder.RecordDeadLetterAsync(inbound, where, context.CancellationToken);
    }

    private static string? Text(IReadOnlyDictionary<string, object?>? data, string name) =>
        data is not null && data.TryGetValue(name, out var value) && value?.ToString() is { Length: > 0 } text ? text.Trim('"') : null;
}
