using EventProcessors.Contracts;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.Tests.Support;

/// <summary>
/// A test action on ReserveStock's real queue (order.created on collector-events): counts its runs, can be scripted to
/// fail or block, emits one stock.reserved and writes one StockReservations row per order.
/// </summary>
public sealed class ProbeAction(Func<ActionContext, int, CancellationToken, Task>? behaviour = null, ConsumerDefinition? definition = null) : IConsumerAction
{
    private int _runs;
    private int _running;
    private int _maxRunning;

    public int Runs => Volatile.Read(ref _runs);

    /// <summary>The most runs that were in progress at the same time.</summary>
    public int MaxConcurrent => Volatile.Read(ref _maxRunning);

    public ConsumerDefinition Definition { get; } = (definition ?? Consumers.ReserveStock) with { Writes = [typeof(ReservationRow)] };

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var run = Interlocked.Increment(ref _runs);
        var running = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, running);
        try
        {
            if (behaviour is not null) await behaviour(context, run, cancellationToken);
            var orderId = context.Event.Data!.Value.GetProperty("orderId").GetString()!;
            context.Emit(EventTypes.Collector.StockReserved, new { orderId, orderNumber = context.Event.Data!.Value.GetProperty("orderNumber").GetString() }, partitionKey: orderId);
            context.Write(new ReservationRow(orderId, context.Tenant, 5m, run));
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    [SqlTable("ProbeReservations")]
    public sealed record ReservationRow(string OrderId, string TenantId, decimal Quantity, int Run);
}

/// <summary>A test action on the MES bus (work-order.completed on mes-events): emits one quality.inspection.created.</summary>
public sealed class MesProbeAction : IConsumerAction
{
    private int _runs;

    public int Runs => Volatile.Read(ref _runs);

    public ConsumerDefinition Definition { get; } = Consumers.CreateInspection;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _runs);
        var workOrderId = context.Event.Data!.Value.GetProperty("workOrderId").GetString()!;
        context.Emit(EventTypes.Mes.QualityInspectionCreated, new
        {
            inspectionId = "ins-" + workOrderId, inspectionNumber = "INS-1", workOrderId, inspectionType = "FINAL", quantityToInspect = 10,
        }, partitionKey: workOrderId);
        return Task.CompletedTask;
    }
}
