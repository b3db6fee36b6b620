using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.WorkOrders;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>
/// work-order.completed -> the FINAL inspection of the completed quantity (seed 000's quality service:
/// <c>quantityToInspect: quantityCompleted, inspectionType: 'FINAL'</c>): quality.inspection.created and an Inspections row.
/// </summary>
/// <remarks>
/// <para>Rejected parts are already non-conforming and are not inspected again; a completion with nothing good
/// (quantityCompleted 0) has nothing to inspect and opens no inspection.</para>
/// <para>One final inspection per work order: its id derives from the work order, and a second completion event
/// for the same work order (a re-sent copy with a new id) finds it already opened and announces nothing.</para>
/// <para>The inspection number follows the work order's: WO-2024-001 gives INS-2024-001.</para>
/// </remarks>
public sealed class CreateInspection(ITableServiceClient tables) : IConsumerAction
{
    public const string FinalInspection = "FINAL";
    public const string PendingStatus = "PENDING";

    private readonly DocumentOrigins _origins = new(tables);

    public ConsumerDefinition Definition => Consumers.CreateInspection;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var completed = context.PayloadAs<WorkOrderCompleted>();
        CompletionRules.Validate(completed);
        if (completed.QuantityCompleted == 0) return;

        var inspectionId = DerivedIds.Uuid("inspection", context.Tenant, FinalInspection, completed.WorkOrderId);
        var (claim, _) = await _origins.ClaimAsync(context.Tenant, "final-inspection", completed.WorkOrderId,
            new DocumentOrigin(inspectionId, context.Event.Id), cancellationToken).ConfigureAwait(false);
        if (claim != OriginClaim.Owner) return;

        var inspectionNumber = DocumentNumbers.Renumber(completed.WorkOrderNumber, "WO-", "INS-");
        context.Emit(EventTypes.Mes.QualityInspectionCreated, new QualityInspectionCreated
        {
            InspectionId = inspectionId,
            InspectionNumber = inspectionNumber,
            WorkOrderId = completed.WorkOrderId,
            InspectionType = FinalInspection,
            QuantityToInspect = completed.QuantityCompleted,
            PartId = completed.PartId,
            LotNumber = completed.ProducedLotNumber,
            SerialNumbers = completed.ProducedSerialNumbers,
        }, partitionKey: completed.WorkOrderId);
        context.Write(new Inspection
        {
            InspectionId = inspectionId,
            TenantId = context.Tenant,
            InspectionNumber = inspectionNumber,
            InspectionType = FinalInspection,
            WorkOrderId = completed.WorkOrderId,
            WorkOrderNumber = completed.WorkOrderNumber,
            PartId = completed.PartId,
            PartNumber = completed.PartNumber,
            LotNumber = completed.ProducedLotNumber,
            QuantityToInspect = completed.QuantityCompleted,
            Status = PendingStatus,
            CreatedAt = completed.CompletedAt,
        });
    }
}
