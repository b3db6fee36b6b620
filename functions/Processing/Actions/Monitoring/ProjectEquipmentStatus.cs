using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Monitoring.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Monitoring;

/// <summary>
/// equipment.status.changed -> each equipment's current status and its history (state only, no output).
/// The payload carries no time, so a change is dated by its event's time; changes keyed by event id, so a
/// redelivery or re-run adds nothing.
/// </summary>
public sealed class ProjectEquipmentStatus(ITableServiceClient tables) : IConsumerAction
{
    private readonly EquipmentStatusStore _store = new(tables);

    public ConsumerDefinition Definition => Consumers.ProjectEquipmentStatus;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var changed = context.PayloadAs<EquipmentStatusChanged>();
        InputRules.NotBlank(changed.EquipmentId, "$.data.equipmentId");
        InputRules.NotBlank(changed.NewStatus, "$.data.newStatus");

        await _store.ApplyAsync(context.Tenant, changed.EquipmentId,
            new EquipmentStatusChange(context.Event.Id, changed.NewStatus, changed.OldStatus, context.OccurredAt()), cancellationToken).ConfigureAwait(false);
    }
}
