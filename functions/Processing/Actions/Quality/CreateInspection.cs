using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>
/// work-order.completed -> quality.inspection.created and the Inspections record: the FINAL inspection of the
/// completed quantity (seed 000 inspects quantityCompleted). One inspection per work order: a re-sent
/// completion creates nothing new.
/// </summary>
public sealed class CreateInspection(ITableServiceClient tables) : IConsumerAction
{
    public const string FinalInspection = "FINAL";
    public const string PendingStatus = "PENDING";

    private readonly DocumentOrigins _origins = new(tables);

    public ConsumerDefinition Definition => Consumers.CreateInspection;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var completed = context.PayloadAs<WorkOrderCompleted>();
        InputRules.NotBlank(completed.WorkOrderId, "$.data.workOrderId");
        InputRules.Positive(completed.QuantityCompleted, "$.data.quantityCompleted");
        InputRules.NotNegative(completed.QuantityRejected, "$.data.quantityRejected");

        var inspectionId = DerivedIds.Uuid("inspection", context.Tenant, completed.WorkOrderId);
        var (claim, _) = await _origins.ClaimAsync(context.Tenant, "inspection", completed.WorkOrderId,
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
            WorkOrderId = completed.WorkOrderId,
            WorkOrderNumber = completed.WorkOrderNumber,
            InspectionType = FinalInspection,
            QuantityToInspect = completed.QuantityCompleted,
            PartId = completed.PartId,
            LotNumber = completed.ProducedLotNumber,
            Status = PendingStatus,
            CreatedAt = context.OccurredAt(),
        });
    }
}
