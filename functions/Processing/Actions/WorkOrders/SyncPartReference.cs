using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.WorkOrders;

/// <summary>
/// material.part.updated -> the part's reference data, and the part number, name and revision cached on every
/// open work order of that part (seed 001: "Update cached fields in all work orders using this part").
/// </summary>
/// <remarks>
/// <para>Completed work orders keep the part as it was when they were produced: their history does not change.</para>
/// <para>Order: updates of one part are applied by event time (then id), so a late, older update never
/// overwrites a newer one, neither in the reference nor on a work order.</para>
/// <para>A work order created while this runs is not missed: ReserveMaterial indexes it under its part before
/// storing it and reads the reference after storing it, while this action stores the reference before walking
/// the index; whichever runs second sees the other's write.</para>
/// <para>Only state changes: the SQL output upserts whatever row comes last, which for a replayed older update
/// would be the older data, so nothing is written there.</para>
/// </remarks>
public sealed class SyncPartReference(ITableServiceClient tables) : IConsumerAction, IRebuildableProjection
{
    private readonly PartReferences _parts = new(tables);
    private readonly WorkOrderDocuments _workOrders = new(tables);

    public ConsumerDefinition Definition => Consumers.SyncPartReference;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var updated = context.PayloadAs<MaterialPartUpdated>();
        InputRules.NotBlank(updated.PartId, "$.data.partId");
        InputRules.NotBlank(updated.PartNumber, "$.data.partNumber");
        InputRules.NotBlank(updated.PartName, "$.data.partName");

        var reference = await _parts.ApplyAsync(context.Tenant, updated.PartId, EventStamp.Of(context), known => new PartReference
        {
            PartId = updated.PartId,
            PartNumber = updated.PartNumber,
            PartName = updated.PartName,
            Revision = updated.Revision ?? updated.Changes.Revision ?? known?.Revision,
            // The payload states the unit of measure only when it changed.
            UnitOfMeasure = updated.Changes.UnitOfMeasure ?? known?.UnitOfMeasure,
            Stamp = EventStamp.Of(context),
        }, cancellationToken).ConfigureAwait(false);

        // Even when a newer update already stands, refresh with it: the run that stored it may have crashed before walking the work orders.
        await foreach (var workOrderId in _workOrders.WorkOrdersOfPartAsync(context.Tenant, updated.PartId, cancellationToken).ConfigureAwait(false))
            await _workOrders.RefreshPartAsync(context.Tenant, workOrderId, reference, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every part the events updated loses its reference, so the newest update replayed stands again. Open work orders
    /// keep their cached fields until the replay refreshes them with that update.
    /// </summary>
    public async Task ResetAsync(string tenant, IReadOnlyList<CloudEvent> events, DateTimeOffset since, CancellationToken cancellationToken)
    {
        foreach (var partId in events.Select(e => e.DataAs<MaterialPartUpdated>()?.PartId).OfType<string>().Distinct(StringComparer.Ordinal))
            await _parts.ForgetAsync(tenant, partId, cancellationToken).ConfigureAwait(false);
    }
}
