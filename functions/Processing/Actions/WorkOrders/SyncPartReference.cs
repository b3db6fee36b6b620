using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.WorkOrders.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.WorkOrders;

/// <summary>
/// material.part.updated -> the part reference, and the part number and name cached on every OPEN work order of
/// that part (completed work orders keep the fields they were produced under). State only, no output. An update
/// older than the one applied changes nothing; the work orders are refreshed to the reference now current, so
/// re-runs and late updates converge.
/// </summary>
public sealed class SyncPartReference(ITableServiceClient tables) : IConsumerAction
{
    private readonly WorkOrderStore _workOrders = new(tables);

    public ConsumerDefinition Definition => Consumers.SyncPartReference;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var updated = context.PayloadAs<MaterialPartUpdated>();
        InputRules.NotBlank(updated.PartId, "$.data.partId");
        InputRules.NotBlank(updated.PartNumber, "$.data.partNumber");
        InputRules.NotBlank(updated.PartName, "$.data.partName");

        var part = await _workOrders.UpdatePartAsync(context.Tenant, new PartReference
        {
            PartId = updated.PartId,
            PartNumber = updated.PartNumber,
            PartName = updated.PartName,
            Revision = updated.Revision,
            UpdatedAt = context.OccurredAt(),
            EventId = context.Event.Id,
        }, cancellationToken).ConfigureAwait(false);

        await foreach (var workOrder in _workOrders.ListOfPartAsync(context.Tenant, updated.PartId, cancellationToken).ConfigureAwait(false))
            await _workOrders.RefreshAsync(context.Tenant, workOrder.WorkOrderId, part, cancellationToken).ConfigureAwait(false);
    }
}
