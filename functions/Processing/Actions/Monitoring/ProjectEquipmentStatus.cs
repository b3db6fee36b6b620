using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.ManufacturingIntelligence;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Monitoring.State;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Monitoring;

/// <summary>
/// equipment.status.changed -> each equipment's current status and its history (a projector, seed 002), and an
/// EquipmentStatusChanges row per change.
/// </summary>
/// <remarks>
/// <para>The time of a change is the event's time (the payload has none). A change older than the current one
/// (delivered late) goes into the history but does not overwrite the current status; changes at the same instant
/// are ordered by event id, so concurrent workers agree.</para>
/// <para>An event without a time cannot be placed in the history and is dead-lettered; every documented envelope
/// carries one, only a bare CloudEvent may omit it.</para>
/// </remarks>
public sealed class ProjectEquipmentStatus(ITableServiceClient tables) : IConsumerAction, IRebuildableProjection
{
    private readonly EquipmentStatusStore _store = new(tables);

    public ConsumerDefinition Definition => Consumers.ProjectEquipmentStatus;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var changed = context.PayloadAs<EquipmentStatusChanged>();
        InputRules.NotBlank(changed.EquipmentId, "$.data.equipmentId");
        InputRules.NotBlank(changed.NewStatus, "$.data.newStatus");
        var changedAt = context.Event.Time
            ?? throw EventValidationException.Invalid("An equipment status change needs the time it happened, to be ordered among the others.", "$.time");

        var change = new EquipmentStatusChange
        {
            EquipmentId = changed.EquipmentId,
            OldStatus = changed.OldStatus,
            NewStatus = changed.NewStatus,
            ChangedAt = changedAt,
            EventId = context.Event.Id,
        };
        await _store.RecordAsync(context.Tenant, change, cancellationToken).ConfigureAwait(false);
        context.Write(new EquipmentStatusChangeRecord
        {
            ChangeId = DerivedIds.Uuid("equipment-status-change", context.Tenant, context.Event.Id),
            TenantId = context.Tenant,
            EquipmentId = change.EquipmentId,
            OldStatus = change.OldStatus,
            NewStatus = change.NewStatus,
            ChangedAt = change.ChangedAt,
            EventId = change.EventId,
        });
    }

    /// <summary>Every equipment the events changed loses its current status and its history since <paramref name="since"/>.</summary>
    public async Task ResetAsync(string tenant, IReadOnlyList<CloudEvent> events, DateTimeOffset since, CancellationToken cancellationToken)
    {
        foreach (var equipmentId in events.Select(e => e.DataAs<EquipmentStatusChanged>()?.EquipmentId).OfType<string>().Distinct(StringComparer.Ordinal))
            await _store.ResetAsync(tenant, equipmentId, since, cancellationToken).ConfigureAwait(false);
    }
}
