using System.Text;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.Chaos.Tests;

/// <summary>One record the run produces to mes-events: key (the work order), value, and what it is.</summary>
public sealed record MesInput(string Key, byte[] Value, string Kind);

/// <summary>A planted poison record and the consumer groups that must dead-letter it, each exactly once.</summary>
public sealed record MesPoison(string Name, string Key, byte[] Value, EventErrorCode Code, IReadOnlyList<string> Groups);

/// <summary>A completed work order of the workload, and the failed final inspection it gets when <see cref="Fails"/>.</summary>
public sealed record PlannedWorkOrder(string WorkOrderId, string WorkOrderNumber, string PartId, decimal Completed, bool Fails)
{
    public string InspectionId => DerivedIds.Uuid("inspection", MesWorkload.Tenant, "FINAL", WorkOrderId);
}

/// <summary>
/// Seed-shaped MES records (seed 000's <c>{type, meta: {eventId, source, userId, correlationId, timestamp, tenantId}, data}</c>):
/// per work order its work-order.completed, and for every other one the FAIL of its final inspection
/// (quality.inspection.completed, 98 inspected, 3 rejected), each sent twice in one of three ways, plus poison.
/// </summary>
/// <remarks>
/// Kafka has no message_id, so a MES duplicate is one of:
/// <list type="bullet">
/// <item>the same record produced again (a producer retry, the MES outbox resending): the same meta.eventId, so the same event;
/// each group's idempotency record answers the copy;</item>
/// <item>the same bytes again from a producer that sets no eventId: the id is the body hash, the same for both copies;</item>
/// <item>a re-send with a new meta.eventId (the MES re-emitting the completion): a new event, so every group runs for it, and the
/// guarantee is the domain's: one final inspection per work order and one NCR per inspection (their origin records), one booking per
/// work order (its row in the part's inventory). RecordGenealogy records a traceability event per event it receives, so that
/// follow-on exists once per event id, not per work order.</item>
/// </list>
/// </remarks>
public static class MesWorkload
{
    public const string Tenant = "tenant-mes";
    public static readonly string[] Parts = ["P-12345", "P-22345", "P-32345", "P-42345"];

    /// <summary>The MES actions' consumer groups: each reads the whole topic.</summary>
    public static readonly IReadOnlyList<string> Groups = Consumers.All.Where(c => c.Bus == EventBus.Mes).Select(c => c.Queue).ToArray();

    public static (List<MesInput> Inputs, List<PlannedWorkOrder> WorkOrders, List<MesPoison> Poison, byte[] Ignored) Create(ChaosSettings settings, Random random)
    {
        var inputs = new List<MesInput>();
        var workOrders = new List<PlannedWorkOrder>();
        for (var i = 0; i < settings.WorkOrders; i++)
        {
            var wo = new PlannedWorkOrder($"wo-chaos-{i:D5}", $"WO-2025-{i:D5}", Parts[i % Parts.Length], random.Next(10, 100), Fails: i % 2 == 0);
            workOrders.Add(wo);
            var completed = MesEvents.WorkOrderCompleted(wo.WorkOrderId, wo.WorkOrderNumber, wo.Completed.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "2", producedLot: $"LOT-FG-{i:D5}", consumedLot: null, partId: wo.PartId);
            Twice(inputs, wo.WorkOrderId, M.WorkOrderCompleted, completed, $"evt-completed-{i}", i);
            if (wo.Fails)
            {
                var inspection = MesEvents.InspectionCompleted("FAIL", "98", "95", "3", wo.InspectionId, $"INS-2025-{i:D5}");
                inspection["workOrderId"] = wo.WorkOrderId;
                Twice(inputs, wo.WorkOrderId, M.QualityInspectionCompleted, inspection, $"evt-inspected-{i}", i + 1);
            }
        }
        var poison = Enumerable.Range(0, settings.PoisonCopies).SelectMany(PoisonOfEveryKind).ToList();
        inputs.AddRange(poison.Select(p => new MesInput(p.Key, p.Value, "poison: " + p.Name)));
        // A type no MES action consumes: every group ignores it (the topic carries the whole plant's events), none dead-letters it.
        var ignored = Encoding.UTF8.GetBytes(MesEvents.MesEnvelope("work-order.paused", Tenant, new JsonObject { ["workOrderId"] = "wo-paused" }, "evt-paused"));
        inputs.Add(new MesInput("wo-paused", ignored, "a type nobody consumes"));
        return (inputs.OrderBy(_ => random.Next()).ToList(), workOrders, poison, ignored);
    }

    private static void Twice(List<MesInput> inputs, string key, string type, JsonObject data, string eventId, int variant)
    {
        byte[] Envelope(string? id)
        {
            var envelope = JsonNode.Parse(MesEvents.MesEnvelope(type, Tenant, data, id ?? "none"))!.AsObject();
            if (id is null) envelope["meta"]!.AsObject().Remove("eventId");
            return Encoding.UTF8.GetBytes(envelope.ToJsonString());
        }
        switch (variant % 3)
        {
            case 0:
                inputs.Add(new(key, Envelope(eventId), "same record again"));
                inputs.Add(new(key, Envelope(eventId), "same record again"));
                break;
            case 1:
                inputs.Add(new(key, Envelope(null), "same bytes, no eventId"));
                inputs.Add(new(key, Envelope(null), "same bytes, no eventId"));
                break;
            default:
                inputs.Add(new(key, Envelope(eventId), "re-send, new eventId"));
                inputs.Add(new(key, Envelope(eventId + "-resent"), "re-send, new eventId"));
                break;
        }
    }

    /// <summary>
    /// Poison on the MES topic. What cannot be read as an event is every group's to dead-letter (no group can tell it is not its
    /// type); a readable event only its consumers', when its payload breaks the schema or the action refuses it.
    /// </summary>
    private static IEnumerable<MesPoison> PoisonOfEveryKind(int copy)
    {
        var n = $"P{copy}";
        string Name(string kind) => copy == 0 ? kind : $"{kind} (copy {copy + 1})";
        var key = $"wo-poison-{n}";
        string[] completionGroups = [Consumers.CreateInspection.Queue, Consumers.UpdateInventory.Queue, Consumers.RecordGenealogy.Queue];
        yield return new(Name("invalid JSON"), key, Encoding.UTF8.GetBytes($"{{ \"type\": \"work-order.completed\", \"marker\": \"{n}\", \"meta\": {{ oops"), EventErrorCode.UnreadableJson, Groups);
        yield return new(Name("an object of no envelope"), key, Encoding.UTF8.GetBytes($"{{ \"workOrder\": \"{n}\" }}"), EventErrorCode.UnknownShape, Groups);
        var large = MesEvents.WorkOrderCompleted(key, "WO-POISON-" + n);
        large["completedBy"] = new string('x', 300 * 1024);
        yield return new(Name("oversized (300 KiB; the limit is 256 KiB)"), key, Encoding.UTF8.GetBytes(MesEvents.MesEnvelope(M.WorkOrderCompleted, Tenant, large, $"evt-large-{n}")),
            EventErrorCode.PayloadTooLarge, Groups);
        var noWorkOrder = MesEvents.WorkOrderCompleted(key, "WO-POISON-" + n);
        noWorkOrder.Remove("workOrderId");
        yield return new(Name("schema-invalid work-order.completed (no workOrderId)"), key,
            Encoding.UTF8.GetBytes(MesEvents.MesEnvelope(M.WorkOrderCompleted, Tenant, noWorkOrder, $"evt-no-wo-{n}")), EventErrorCode.MissingField, completionGroups);
        var rejectedNothing = MesEvents.InspectionCompleted("FAIL", "98", "98", "0", $"insp-poison-{n}", $"INS-POISON-{n}");
        yield return new(Name("a FAIL that rejected nothing (RaiseNonConformance refuses it)"), key,
            Encoding.UTF8.GetBytes(MesEvents.MesEnvelope(M.QualityInspectionCompleted, Tenant, rejectedNothing, $"evt-no-reject-{n}")), EventErrorCode.InvalidValue,
            [Consumers.RaiseNonConformance.Queue]);
    }
}
