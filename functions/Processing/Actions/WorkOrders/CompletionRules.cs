using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.Processing.Actions.Common;

namespace EventProcessors.Processing.Actions.WorkOrders;

/// <summary>What every consumer of work-order.completed requires of it before acting.</summary>
public static class CompletionRules
{
    /// <summary>
    /// Ids present, quantities not negative, and something produced: good or rejected. (A work order that made
    /// nothing is cancelled, not completed: work-order.cancelled.) Optional texts, when present, are not blank.
    /// </summary>
    public static void Validate(WorkOrderCompleted completed)
    {
        InputRules.NotBlank(completed.WorkOrderId, "$.data.workOrderId");
        InputRules.NotBlank(completed.WorkOrderNumber, "$.data.workOrderNumber");
        InputRules.NotNegative(completed.QuantityCompleted, "$.data.quantityCompleted");
        InputRules.NotNegative(completed.QuantityRejected, "$.data.quantityRejected");
        if (completed.QuantityCompleted + completed.QuantityRejected == 0)
            throw Contracts.EventValidationException.Invalid(
                "quantityCompleted and quantityRejected are both 0: a completed work order produced something.", "$.data.quantityCompleted");
        if (completed.PartId is not null) InputRules.NotBlank(completed.PartId, "$.data.partId");
        if (completed.PartNumber is not null) InputRules.NotBlank(completed.PartNumber, "$.data.partNumber");
        if (completed.ProducedLotNumber is not null) InputRules.NotBlank(completed.ProducedLotNumber, "$.data.producedLotNumber");
    }
}
