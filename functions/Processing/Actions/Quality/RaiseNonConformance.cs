using System.Globalization;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Quality;

/// <summary>
/// quality.inspection.completed with result FAIL -> an NCR for the rejected quantity: quality.ncr.created and an Ncrs row.
/// A passed inspection raises nothing.
/// </summary>
/// <remarks>
/// <para>The quantities must add up as the quality service computes them (seed 000: inspected = accepted + rejected).
/// A FAIL that rejected nothing is invalid input: an NCR documents rejected material, and there is none.</para>
/// <para>One NCR per inspection: a second FAIL event for the same inspection (a re-sent copy with a new id) announces
/// nothing. The NCR number follows the inspection's: INS-2024-001 gives NCR-2024-001.</para>
/// </remarks>
public sealed class RaiseNonConformance(ITableServiceClient tables) : IConsumerAction
{
    public const string OpenStatus = "OPEN";

    private readonly DocumentOrigins _origins = new(tables);

    public ConsumerDefinition Definition => Consumers.RaiseNonConformance;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var inspection = context.PayloadAs<QualityInspectionCompleted>();
        if (inspection.Result != InspectionResult.Fail) return;
        Validate(inspection);

        var ncrId = DerivedIds.Uuid("ncr", context.Tenant, inspection.InspectionId);
        var (claim, _) = await _origins.ClaimAsync(context.Tenant, "ncr", inspection.InspectionId,
            new DocumentOrigin(ncrId, context.Event.Id), cancellationToken).ConfigureAwait(false);
        if (claim != OriginClaim.Owner) return;

        var ncrNumber = DocumentNumbers.Renumber(inspection.InspectionNumber, "INS-", "NCR-");
        var description = string.Create(CultureInfo.InvariantCulture,
            $"Inspection {inspection.InspectionNumber} of work order {inspection.WorkOrderId} failed: {inspection.QuantityRejected} of {inspection.QuantityInspected} rejected.");
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
            PartId = inspection.PartId,
            LotNumber = inspection.LotNumber,
            QuantityInspected = inspection.QuantityInspected,
            QuantityRejected = inspection.QuantityRejected,
            Description = description,
            Status = OpenStatus,
            DetectedBy = inspection.InspectedBy,
            DetectedAt = inspection.InspectionDate,
        });
    }

    private static void Validate(QualityInspectionCompleted inspection)
    {
        InputRules.NotBlank(inspection.InspectionId, "$.data.inspectionId");
        InputRules.NotBlank(inspection.InspectionNumber, "$.data.inspectionNumber");
        InputRules.NotBlank(inspection.WorkOrderId, "$.data.workOrderId");
        InputRules.NotNegative(inspection.QuantityAccepted, "$.data.quantityAccepted");
        if (inspection.QuantityRejected == 0)
            throw EventValidationException.Invalid("A FAIL inspection must reject something, but quantityRejected is 0.", "$.data.quantityRejected");
        InputRules.Positive(inspection.QuantityRejected, "$.data.quantityRejected");
        if (inspection.QuantityAccepted + inspection.QuantityRejected != inspection.QuantityInspected)
            throw EventValidationException.Invalid(string.Create(CultureInfo.InvariantCulture,
                $"quantityInspected ({inspection.QuantityInspected}) must equal quantityAccepted ({inspection.QuantityAccepted}) plus quantityRejected ({inspection.QuantityRejected})."),
                "$.data.quantityInspected");
    }
}
