using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Xunit.Abstractions;

namespace EventProcessors.Chaos.Tests;

/// <summary>
/// The chaos ledger of issue 11: two worker processes over a broker node and an Azurite of the run's own, order-to-cash
/// offers with duplicates and planted poison, and a seeded, printed fault schedule (SIGKILL of workers, a broker restart,
/// a storage pause with SIGSTOP). Then a ledger read from outside the workers: nothing lost, nothing doubled, nothing
/// stuck, dead letters exactly the poison. <c>CHAOS_SEED</c> reruns a schedule, <c>CHAOS_OFFERS</c> and
/// <c>CHAOS_KILLS</c> make the soak variant (defaults: the CI variant, 120 offers, 3 kills).
/// </summary>
public sealed class LedgerTests(ITestOutputHelper output)
{
    private const string Tenant = "tenant-123";
    private static readonly TimeSpan QuiesceTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Under_kills_a_broker_restart_and_a_storage_pause_nothing_is_lost_doubled_or_stuck()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("CHAOS_SEED"), out var s) ? s : Random.Shared.Next(1, 100_000);
        var offers = int.TryParse(Environment.GetEnvironmentVariable("CHAOS_OFFERS"), out var o) ? o : 120;
        var kills = int.TryParse(Environment.GetEnvironmentVariable("CHAOS_KILLS"), out var k) ? k : 3;
        var random = new Random(seed);
        Print($"seed {seed} (CHAOS_SEED={seed} reruns this schedule), {offers} offers, {kills} kills");

        await using var azurite = await PrivateAzurite.StartAsync();
        await using var broker = await PrivateRabbitMq.StartAsync();
        var tables = TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = azurite.ConnectionString });
        await new StockLevels(tables).DefineAsync(Tenant, new StockItem
        {
            ProductId = "p-4711", ProductName = "Product Name", Sku = "SKU-4711", WarehouseId = "wh-1", WarehouseName = "Main",
            OnHand = 1_000_000, ReorderLevel = 0, Primary = true,
        });

        await using var publisher = await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = broker.Uri, ConnectTimeout = TimeSpan.FromMinutes(1) });
        const string ledger = "chaos.ledger";
        await publisher.DeclareAsync(TopologyDefinition.For(Consumers.All), CancellationToken.None);
        await publisher.DeclareAsync(new TopologyDefinition([new ExchangeDefinition(Destinations.CollectorExchange)],
            [new QueueDefinition(ledger, new Dictionary<string, object> { ["x-queue-type"] = "quorum" }, Durable: true)],
            [new BindingDefinition(Destinations.CollectorExchange, ledger, "#")]), CancellationToken.None);

        var log = Path.Combine(Path.GetTempPath(), $"chaos-{seed}.log");
        var settings = new Dictionary<string, string>
        {
            ["Processing__LeaseDuration"] = "00:00:05",
            ["Processing__LeaseRenewalInterval"] = "00:00:01",
            ["LocalHost__RetryBaseDelay"] = "00:00:00.100",
            ["LocalHost__MaxRetryAfter"] = "00:00:02",
            ["LocalHost__OutageMaxProbeInterval"] = "00:00:02",
            ["LocalHost__DrainTimeout"] = "00:00:05",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        var workers = new[] { "w1", "w2" }.Select(n => WorkerProcess.Start(n, broker.Uri, azurite.ConnectionString, settings, log)).ToArray();
        try
        {
            // The fault schedule, seeded: kills spread over the publishing window, one broker restart, one storage pause.
            var window = TimeSpan.FromSeconds(20);
            var faults = new List<(TimeSpan At, string Fault)>();
            for (var i = 0; i < kills; i++) faults.Add((window * random.NextDouble(), $"kill -9 w{random.Next(1, 3)}"));
            faults.Add((window * random.NextDouble(), "broker restart (3 s down)"));
            faults.Add((window * random.NextDouble(), "storage pause (SIGSTOP 8 s)"));
            faults.Sort((a, b) => a.At.CompareTo(b.At));
            foreach (var (at, fault) in faults) Print($"  at {at.TotalSeconds,5:0.0} s: {fault}");

            var inputs = Workload(offers, random);
            var clock = Stopwatch.StartNew();
            var publishing = Task.Run(async () =>
            {
                foreach (var (body, messageId) in inputs)
                {
                    await PublishAsync(publisher, body, messageId);
                    await Task.Delay(window / inputs.Count);
                }
            });
            foreach (var (at, fault) in faults)
            {
                var wait = at - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                Print($"{clock.Elapsed.TotalSeconds,5:0.0} s ({DateTime.UtcNow:HH:mm:ss.fff}): {fault}");
                if (fault.StartsWith("kill", StringComparison.Ordinal))
                {
                    var index = fault[^1] - '1';
                    await workers[index].KillAsync();
                    await Task.Delay(TimeSpan.FromMilliseconds(random.Next(200, 2000)));
                    workers[index] = WorkerProcess.Start(workers[index].Name, broker.Uri, azurite.ConnectionString, settings, log);
                }
                else if (fault.StartsWith("broker", StringComparison.Ordinal))
                {
                    await broker.RestartAsync(TimeSpan.FromSeconds(3));
                }
                else
                {
                    await azurite.PauseAsync();
                    await Task.Delay(TimeSpan.FromSeconds(8));
                    await azurite.ResumeAsync();
                }
            }
            await publishing;
            var lastFault = clock.Elapsed;

            // Quiesce: the ledger holds every input and at least one order.created and stock.reserved per offer (a cheap
            // count, polled), then every work queue is empty, ready and unacknowledged alike (rabbitmqctl, slower).
            var workQueues = Consumers.All.Select(c => c.Queue).ToHashSet(StringComparer.Ordinal);
            var quiesce = TimeSpan.Zero;
            while (true)
            {
                if (await publisher.CountAsync(ledger, CancellationToken.None) >= inputs.Count + (2 * offers) && await LedgerSettledAsync(publisher, ledger, offers))
                {
                    if (quiesce == TimeSpan.Zero) quiesce = clock.Elapsed - lastFault;
                    var depths = await broker.QueueDepthsAsync();
                    if (workQueues.All(q => depths.GetValueOrDefault(q) == 0)) break;
                }
                if (clock.Elapsed - lastFault > QuiesceTimeout)
                    Assert.Fail($"not quiet {QuiesceTimeout} after the last fault: " + string.Join(", ", (await broker.QueueDepthsAsync()).Where(d => d.Value > 0).Select(d => $"{d.Key}={d.Value}")) + $"; log {log}");
                await Task.Delay(200);
            }

            // The ledger, read from outside the workers.
            var events = await DrainAsync(publisher, ledger);
            var orders = events.Where(e => e.Type == EventTypes.Collector.OrderCreated).ToArray();
            var ordersByOffer = orders.GroupBy(e => e.Data!.Value.GetProperty("offerId").GetString()!).ToDictionary(g => g.Key, g => g.Select(e => e.Id).Distinct().ToArray());
            var orderIds = ordersByOffer.Values.SelectMany(ids => ids).ToHashSet();
            var reservations = events.Where(e => e.Type == EventTypes.Collector.StockReserved)
                .GroupBy(e => e.Data!.Value.GetProperty("orderId").GetString()!).ToDictionary(g => g.Key, g => g.Select(e => e.Id).Distinct().Count());
            var orderIdOf = orders.GroupBy(e => e.Id).ToDictionary(g => g.Key, g => g.First().Data!.Value.GetProperty("orderId").GetString()!);
            var lost = offers - ordersByOffer.Count + orderIdOf.Values.Distinct().Count(id => !reservations.ContainsKey(id));
            var doubled = ordersByOffer.Values.Count(ids => ids.Length > 1) + reservations.Values.Count(n => n > 1);
            var deadLetters = await broker.QueueDepthsAsync();
            var planted = deadLetters.GetValueOrDefault(Destinations.DeadLetterQueue(Consumers.CreateOrderFromOffer.Queue));
            var otherDead = deadLetters.Where(d => d.Key.EndsWith(".dead-letter", StringComparison.Ordinal) && d.Key != Destinations.DeadLetterQueue(Consumers.CreateOrderFromOffer.Queue)).Sum(d => d.Value);
            var stuck = workQueues.Sum(q => deadLetters.GetValueOrDefault(q)) + await ProcessingRecordsAsync(tables);
            var amplification = (double)events.Count / Math.Max(1, events.Select(e => e.Id).Distinct().Count());

            Print($"lost {lost}, doubled {doubled}, stuck {stuck}, dead letters {planted} of {PoisonCount} planted (+{otherDead} elsewhere), " +
                $"amplification {amplification:0.00} messages per follow-on, quiet {quiesce.TotalSeconds:0.0} s after the last fault; worker log {log}");
            Assert.Equal(0, lost);
            Assert.Equal(0, doubled);
            Assert.Equal(0, stuck);
            Assert.Equal(PoisonCount, planted);
            Assert.Equal(0, otherDead);
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
        }
    }

    private const int PoisonCount = 6;

    /// <summary>
    /// Offers as Collector sends them (no id), each sent twice in one of two ways (the same bytes with no message_id,
    /// the same message_id again), shuffled; and poison of every kind the pipeline refuses.
    /// </summary>
    private static List<(byte[] Body, string? MessageId)> Workload(int offers, Random random)
    {
        var inputs = new List<(byte[], string?)>();
        for (var i = 0; i < offers; i++)
        {
            var body = Offer(new Guid(random.NextBytes16()).ToString(), $"OFF-{i:D5}");
            var messageId = i % 2 == 0 ? null : $"offer-message-{i}";
            inputs.Add((body, messageId));
            inputs.Add((body, messageId));
        }
        for (var i = 0; i < PoisonCount / 3; i++)
        {
            inputs.Add((Encoding.UTF8.GetBytes("{ \"type\": \"offer.approved\", \"data\": { oops"), null));
            inputs.Add((Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Offer("no-offer-id", $"OFF-BAD-{i}")).Replace("\"offerId\": \"no-offer-id\",", "", StringComparison.Ordinal)), null));
            inputs.Add((Encoding.UTF8.GetBytes("[1, 2, 3]"), null));
        }
        return inputs.OrderBy(_ => random.Next()).ToList();
    }

    private static byte[] Offer(string offerId, string number) => Encoding.UTF8.GetBytes($$"""
        {
          "type": "offer.approved",
          "timestamp": "2024-01-15T10:30:00.000Z",
          "tenantId": "{{Tenant}}",
          "source": "offers-service",
          "correlationId": "corr-{{number}}",
          "data": {
            "offerId": "{{offerId}}",
            "offerNumber": "{{number}}",
            "customerId": "c0ffee00-0000-4000-8000-000000000001",
            "validUntil": "2024-02-15T10:30:00.000Z",
            "currency": "USD",
            "grandTotal": "1500.00",
            "lineItems": [
              { "productId": "p-4711", "description": "Product Name", "quantity": "5", "unitPrice": "300.00", "discountPercent": "10", "taxPercent": "20" }
            ]
          }
        }
        """);

    /// <summary>Publishes, waiting out a broker restart (the publisher is a client like any other).</summary>
    private static async Task PublishAsync(IMessageTransport transport, byte[] body, string? messageId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                await transport.PublishAsync(Destinations.CollectorExchange, EventTypes.Collector.OfferApproved,
                    new OutboundMessage(body, "application/json", messageId), CancellationToken.None);
                return;
            }
            catch (BrokerUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Whether the ledger queue holds at least one order.created per offer and one stock.reserved per order.</summary>
    private static async Task<bool> LedgerSettledAsync(IMessageTransport transport, string ledger, int offers)
    {
        // Counting by type needs the bodies: peek by taking and returning them (the batch is disposed unsettled).
        await using var batch = await transport.GetAsync(ledger, 100_000, CancellationToken.None);
        var types = batch.Deliveries.Select(d => d.RoutingKey).ToArray();
        return types.Count(t => t == EventTypes.Collector.OrderCreated) >= offers && types.Count(t => t == EventTypes.Collector.StockReserved) >= offers;
    }

    private static async Task<List<CloudEvent>> DrainAsync(IMessageTransport transport, string ledger)
    {
        var events = new List<CloudEvent>();
        await using var batch = await transport.GetAsync(ledger, 100_000, CancellationToken.None);
        foreach (var delivery in batch.Deliveries)
        {
            if (delivery.Message.ContentType == CloudEvent.JsonContentType)
                events.Add(JsonSerializer.Deserialize<CloudEvent>(delivery.Message.Body.Span, ContractJson.Options)!);
            await delivery.AckAsync();
        }
        return events;
    }

    /// <summary>Idempotency records still Processing: a claim nobody finished.</summary>
    private static async Task<long> ProcessingRecordsAsync(ITableServiceClient tables)
    {
        long count = 0;
        await foreach (var record in tables.GetTableClient(new Processing.Pipeline.ProcessingOptions().IdempotencyTableName).QueryAsync(e => e.GetString("Status") == "Processing"))
            count++;
        return count;
    }

    private void Print(string line)
    {
        output.WriteLine(line);
        Console.WriteLine($"[chaos] {line}");
    }
}

internal static class RandomExtensions
{
    public static byte[] NextBytes16(this Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return bytes;
    }
}
