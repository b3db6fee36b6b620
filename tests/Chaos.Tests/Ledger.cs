using System.Text.Json;
using Azure.Data.Tables;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Records;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Actions.Invoicing.State;
using EventProcessors.Processing.Actions.Material.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using C = EventProcessors.Contracts.EventTypes.Collector;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.Chaos.Tests;

public enum Anomaly { Lost, Doubled, Stuck, DeadLetter }

/// <summary>
/// The ledger, read from outside the workers once the run is quiet: the follow-ons on the wire, the records tables, the state the
/// actions keep, the queues, the committed offsets and the dead letters. Every expectation comes from the workload, never from the
/// workers; each miss is an <see cref="Anomaly"/> with a sentence saying what is wrong.
/// </summary>
public sealed class Ledger(ITableServiceClient tables)
{
    private readonly List<(Anomaly Kind, string What)> _anomalies = [];
    private readonly RecordWriter _records = new(tables);

    public IReadOnlyList<(Anomaly Kind, string What)> Anomalies => _anomalies;

    public int Count(Anomaly kind) => _anomalies.Count(a => a.Kind == kind);

    public void Add(Anomaly kind, string what) => _anomalies.Add((kind, what));

    /// <summary>
    /// Each offer: one order.created (one id however many copies and re-sends), for the derived order id with the offer's lines;
    /// one stock.reserved for that order with the same quantities; one Orders row and its OrderLines rows; the order's reservation
    /// decided by that order.created; the captured order; and stock reserved exactly the ordered quantities, product by product.
    /// </summary>
    public async Task CheckCollectorAsync(IReadOnlyList<CloudEvent> followOns, IReadOnlyList<PlannedOffer> offers)
    {
        var tenant = CollectorWorkload.Tenant;
        var byOffer = followOns.Where(e => e.Type == C.OrderCreated).GroupBy(e => Text(e, "offerId")).ToDictionary(g => g.Key, g => g.DistinctBy(e => e.Id).ToArray());
        var reserved = followOns.Where(e => e.Type == C.StockReserved).GroupBy(e => Text(e, "orderId")).ToDictionary(g => g.Key, g => g.DistinctBy(e => e.Id).ToArray());
        foreach (var t in followOns.Select(e => e.Type).Distinct().Except([C.OrderCreated, C.StockReserved]))
            Add(Anomaly.Lost, $"unexpected follow-on type {t} (every order must be reserved)");

        var orderRows = await RowsAsync("Orders");
        var lineRows = (await RowsAsync("OrderLines")).GroupBy(r => r.GetString("OrderId")).ToDictionary(g => g.Key, g => g.ToArray());
        var rowsByOffer = orderRows.GroupBy(r => r.GetString("OfferId")).ToDictionary(g => g.Key, g => g.ToArray());
        foreach (var extra in rowsByOffer.Keys.Except(offers.Select(o => o.OfferId))) Add(Anomaly.Doubled, $"an Orders row for offer {extra}, which is no planned offer");
        var reservations = new OrderReservations(tables);
        var snapshots = new OrderSnapshots(tables);
        foreach (var offer in offers)
        {
            var orderId = DerivedIds.Uuid("order", tenant, offer.OfferId);
            var created = byOffer.GetValueOrDefault(offer.OfferId, []);
            if (created.Length == 0) Add(Anomaly.Lost, $"offer {offer.OfferNumber}: no order.created");
            if (created.Length > 1) Add(Anomaly.Doubled, $"offer {offer.OfferNumber}: {created.Length} order.created ids");
            if (created.FirstOrDefault() is { } order && (Text(order, "orderId") != orderId || !SameLines(order, offer.Lines)))
                Add(Anomaly.Lost, $"offer {offer.OfferNumber}: order.created {order.Id} is not the offer's order with its lines");

            var reservedFor = reserved.GetValueOrDefault(orderId, []);
            if (reservedFor.Length == 0) Add(Anomaly.Lost, $"order of {offer.OfferNumber}: no stock.reserved");
            if (reservedFor.Length > 1) Add(Anomaly.Doubled, $"order of {offer.OfferNumber}: {reservedFor.Length} stock.reserved ids");
            if (reservedFor.FirstOrDefault() is { } r && !SameLines(r, offer.Lines)) Add(Anomaly.Lost, $"order of {offer.OfferNumber}: stock.reserved with other quantities");

            var rows = rowsByOffer.GetValueOrDefault(offer.OfferId, []);
            if (rows.Length != 1) Add(rows.Length == 0 ? Anomaly.Lost : Anomaly.Doubled, $"offer {offer.OfferNumber}: {rows.Length} Orders rows");
            var lines = lineRows.GetValueOrDefault(orderId, []);
            if (lines.Length != offer.Lines.Count || !lines.OrderBy(l => l.GetInt32("LineNumber")).Select(l => decimal.Parse(l.GetString("Quantity"), System.Globalization.CultureInfo.InvariantCulture))
                    .SequenceEqual(offer.Lines.Select(l => l.Quantity)))
                Add(lines.Length > offer.Lines.Count ? Anomaly.Doubled : Anomaly.Lost, $"order of {offer.OfferNumber}: {lines.Length} OrderLines rows for {offer.Lines.Count} lines");

            var decision = await reservations.GetAsync(tenant, orderId);
            if (decision is not { Status: OrderReservationStatus.Reserved } || (created.Length == 1 && decision.EventId != created[0].Id))
                Add(Anomaly.Lost, $"order of {offer.OfferNumber}: reservation {decision?.Status.ToString() ?? "not decided"}{(decision is null ? "" : $" by {decision.EventId}")}");
            if (await snapshots.GetAsync(tenant, orderId, CancellationToken.None) is null) Add(Anomaly.Lost, $"order of {offer.OfferNumber}: not captured for invoicing");
        }

        var stock = new StockLevels(tables);
        foreach (var product in CollectorWorkload.Products)
        {
            var ordered = offers.SelectMany(o => o.Lines.Where(l => l.ProductId == product).Select(l => (Order: DerivedIds.Uuid("order", tenant, o.OfferId), l.Quantity)))
                .GroupBy(x => x.Order).ToDictionary(g => g.Key, g => g.Sum(x => x.Quantity));
            var level = await stock.GetAsync(tenant, product, "wh-1");
            var held = (await stock.ReservationsAsync(tenant, product, "wh-1")).ToDictionary(h => h.OrderId, h => h.Quantity);
            if (level is null || level.Reserved != ordered.Values.Sum() || level.OnHand != LedgerTests.OpeningStock)
                Add(level?.Reserved > ordered.Values.Sum() ? Anomaly.Doubled : Anomaly.Lost,
                    $"{product}: reserved {level?.Reserved} of on hand {level?.OnHand}, ordered {ordered.Values.Sum()}");
            foreach (var (order, quantity) in ordered)
                if (held.GetValueOrDefault(order) != quantity)
                    Add(held.GetValueOrDefault(order) > quantity ? Anomaly.Doubled : Anomaly.Lost, $"{product}: order {order} holds {held.GetValueOrDefault(order)}, ordered {quantity}");
            foreach (var extra in held.Keys.Except(ordered.Keys)) Add(Anomaly.Doubled, $"{product}: a reservation for {extra}, which no planned offer ordered");
        }
    }

    /// <summary>
    /// Each work order: one quality.inspection.created and one material.inventory.adjusted, one Inspections and one InventoryAdjustments
    /// row, its quantity booked once into its part's stock; each failed inspection one quality.ncr.created and one Ncrs row; each input
    /// event one traceability.event.created.
    /// </summary>
    public async Task CheckMesAsync(IReadOnlyList<CloudEvent> followOns, IReadOnlyList<PlannedWorkOrder> workOrders, IReadOnlyCollection<string> inputEventIds)
    {
        var tenant = MesWorkload.Tenant;
        ILookup<string, CloudEvent> By(string type, string field) =>
            followOns.Where(e => e.Type == type && e.TenantId == tenant).DistinctBy(e => e.Id).ToLookup(e => Text(e, field));
        var inspections = By(M.QualityInspectionCreated, "workOrderId");
        var adjustments = By(M.MaterialInventoryAdjusted, "workOrderId");
        var ncrs = By(M.QualityNcrCreated, "inspectionId");
        var traces = followOns.Where(e => e.Type == M.TraceabilityEventCreated).DistinctBy(e => e.Id).ToLookup(e => e.CausationId ?? "");
        var inspectionRows = (await RowsAsync("Inspections")).ToLookup(r => r.GetString("WorkOrderId"));
        var adjustmentRows = (await RowsAsync("InventoryAdjustments")).ToLookup(r => r.GetString("WorkOrderId"));
        var ncrRows = (await RowsAsync("Ncrs")).ToLookup(r => r.GetString("InspectionId"));

        void One<T>(ILookup<string, T> found, string key, string what)
        {
            var n = found[key].Count();
            if (n != 1) Add(n == 0 ? Anomaly.Lost : Anomaly.Doubled, $"{what}: {n}");
        }
        foreach (var wo in workOrders)
        {
            One(inspections, wo.WorkOrderId, $"{wo.WorkOrderNumber}: quality.inspection.created ids");
            One(adjustments, wo.WorkOrderId, $"{wo.WorkOrderNumber}: material.inventory.adjusted ids");
            One(inspectionRows, wo.WorkOrderId, $"{wo.WorkOrderNumber}: Inspections rows");
            One(adjustmentRows, wo.WorkOrderId, $"{wo.WorkOrderNumber}: InventoryAdjustments rows");
            if (wo.Fails)
            {
                One(ncrs, wo.InspectionId, $"{wo.WorkOrderNumber}: quality.ncr.created ids");
                One(ncrRows, wo.InspectionId, $"{wo.WorkOrderNumber}: Ncrs rows");
            }
        }
        foreach (var id in inputEventIds) One(traces, id, $"MES event {id}: traceability.event.created ids");
        foreach (var extra in inspectionRows.Select(g => g.Key).Except(workOrders.Select(w => w.WorkOrderId)))
            Add(Anomaly.Doubled, $"an Inspections row for {extra}, which is no planned work order");

        var inventory = new MaterialInventory(tables);
        foreach (var part in MesWorkload.Parts)
        {
            var planned = workOrders.Where(w => w.PartId == part).ToArray();
            var onHand = (await inventory.GetAsync(tenant, part, CancellationToken.None))?.QuantityOnHand ?? 0m;
            var bookings = await inventory.BookingsAsync(tenant, part, CancellationToken.None);
            if (onHand != planned.Sum(w => w.Completed) || bookings.Count != planned.Length)
                Add(onHand > planned.Sum(w => w.Completed) ? Anomaly.Doubled : Anomaly.Lost,
                    $"{part}: {onHand} on hand in {bookings.Count} bookings, {planned.Sum(w => w.Completed)} completed in {planned.Length} work orders");
        }
    }

    /// <summary>The idempotency records still Processing: a claim nobody finished.</summary>
    public async Task CheckClaimsAsync()
    {
        long processing = 0;
        await foreach (var _ in tables.GetTableClient(new ProcessingOptions().IdempotencyTableName).QueryAsync(e => e.GetString("Status") == "Processing"))
            processing++;
        if (processing > 0) Add(Anomaly.Stuck, $"{processing} idempotency records left Processing");
    }

    /// <summary>
    /// The dead letters of one place against what was planted there: every expected letter once, nothing else. <paramref name="letters"/>
    /// are (where, what) pairs as found, duplicates included; <paramref name="expected"/> likewise, each once.
    /// </summary>
    public void CheckDeadLetters(string place, IReadOnlyList<(string Where, string What)> letters, IReadOnlyList<(string Where, string What)> expected)
    {
        var found = letters.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        foreach (var letter in expected)
        {
            var n = found.GetValueOrDefault(letter);
            if (n != 1) Add(Anomaly.DeadLetter, $"{place}: {letter.What} at {letter.Where} dead-lettered {n} times");
        }
        foreach (var (letter, n) in found.Where(f => !expected.Contains(f.Key)))
            Add(Anomaly.DeadLetter, $"{place}: {n} unplanned dead letter(s) at {letter.Where}: {letter.What}");
    }

    private async Task<IReadOnlyList<TableEntity>> RowsAsync(string table)
    {
        try
        {
            return await _records.ReadAllAsync(table);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return []; // no action wrote to it
        }
    }

    private static string Text(CloudEvent e, string field) => e.Data!.Value.GetProperty(field).GetString()!;

    private static bool SameLines(CloudEvent e, IReadOnlyList<(string ProductId, decimal Quantity)> planned)
    {
        var key = e.Data!.Value.TryGetProperty("lineItems", out var items) ? items : e.Data.Value.GetProperty("lines");
        var actual = key.EnumerateArray().Select(l => (l.GetProperty("productId").GetString()!, Quantity(l.GetProperty("quantity"))))
            .GroupBy(l => l.Item1).ToDictionary(g => g.Key, g => g.Sum(l => l.Item2));
        var wanted = planned.GroupBy(l => l.ProductId).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity));
        return actual.Count == wanted.Count && wanted.All(w => actual.GetValueOrDefault(w.Key) == w.Value);
    }

    private static decimal Quantity(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? decimal.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
        : value.GetDecimal();
}
