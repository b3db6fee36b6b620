using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>
/// quality.inspection.completed with result FAIL -> quality.ncr.created and the Ncrs record, for the rejected
/// quantity. A passed inspection raises nothing; a failure that rejected nothing is invalid input. One NCR per
/// inspection: a re-sent completion creates nothing new.
/// </summary>
public sealed class RaiseNonConformance(ITableServiceClient tables) : IConsumerAction
{
    public const string OpenStatus = "OPEN";

    private readonly DocumentOrigins _origins = new(tables);

    public ConsumerDefinition Definition => Consumers.RaiseNonConformance;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var inspection = context.PayloadAs<QualityInspectionCompleted>();
        InputRules.NotBlank(inspection.InspectionId, "$.data.inspectionId");
        InputRules.NotNegative(inspection.QuantityRejected, "$.data.quantityRejected");
        if (inspection.Result != InspectionResult.Fail) return;
        InputRules.Positive(inspection.QuantityRejected, "$.data.quantityRejected");

        var ncrId = DerivedIds.Uuid("ncr", context.Tenant, inspection.InspectionId);
        var (claim, _) = await _origins.ClaimAsync(context.Tenant, "ncr", inspection.InspectionId,
            new DocumentOrigin(ncrId, context.Event.Id), cancellationToken).ConfigureAwait(false);
        if (claim != OriginClaim.Owner) return;

        var ncrNumber = DocumentNumbers.Renumber(inspection.InspectionNumber, "INS-", "NCR-");
        var description = $"{inspection.QuantityRejected} of {inspection.QuantityInspected} rejected in inspection {inspection.InspectionNumber}";
        context.Emit(EventTypes.Mes.QualityNcrCreated, new QualityNcrCreated
        {
            NcrId = ncrId,
            NcrNumber = ncrNumber,
            InspectionId = inspection.InspectionId,
            WorkOrderId = inspection.WorkOrderId,
            QuantityRejected = inspection.QuantityRejected,
            Description = description,
            PartId = inspection.PartId,
            LotNumber = inspection.LotNumber,
            SerialNumbers = inspection.SerialNumbers,
        }, partitionKey: ncrId);
        context.Write(new Ncr
        {
            NcrId = ncrId,
            TenantId = context.Tenant,
            NcrNumber = ncrNumber,
            InspectionId = inspection.InspectionId,
            InspectionNumber = inspection.InspectionNumber,
            WorkOrderId = inspection.WorkOrderId,
            QuantityRejected = inspection.QuantityRejected,
            Description = description,
            PartId = inspection.PartId,
            LotNumber = inspection.LotNumber,
            Status = OpenStatus,
            CreatedAt = context.OccurredAt(),
        });
    }
}
