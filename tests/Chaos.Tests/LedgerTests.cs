using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Actions.Inventory.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Xunit.Abstractions;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.Chaos.Tests;

/// <summary>
/// The chaos ledger of issue 11. Worker processes (<c>serve</c>: Collector actions over a RabbitMQ node of the run's own, MES
/// actions over Kafka on librdkafka's mock cluster, tables in an Azurite of the run's own) take a seeded workload with duplicates
/// of every kind and planted poison, under a seeded fault schedule: kill -9 of workers at random points (so also between a Kafka
/// record's processing and its commit, committed every 3 s here), a third worker joining while two drain, a broker restart, a
/// storage pause. Then the ledger is read from outside: nothing lost, nothing doubled, nothing stuck, dead letters exactly the
/// poison, amplification and the time to quiesce after the last fault. See <see cref="ChaosSettings"/> for the CI and soak variants.
/// </summary>
public sealed class LedgerTests(ITestOutputHelper output)
{
    public const decimal OpeningStock = 1_000_000m;
    private const string LedgerQueue = "chaos.ledger";
    private static readonly TimeSpan QuiesceTarget = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Under_kills_a_joining_worker_a_broker_restart_and_a_storage_pause_nothing_is_lost_doubled_or_stuck()
    {
        var settings = ChaosSettings.FromEnvironment();
        var random = new Random(settings.Seed);
        Print(settings.ToString());
        var (collectorInputs, offers, collectorPoison) = CollectorWorkload.Create(settings, random);
        var (mesInputs, workOrders, mesPoison, ignored) = MesWorkload.Create(settings, random);
        var faults = FaultSchedule.Create(settings, random);
        Print($"workload: {collectorInputs.Count} Collector messages ({collectorPoison.Count} poison), {mesInputs.Count} MES records ({mesPoison.Count} poison)");
        foreach (var fault in faults) Print($"  at {fault.At.TotalSeconds,5:0.0} s: {fault}");

        await using var azurite = await PrivateAzurite.StartAsync();
        await using var broker = await PrivateRabbitMq.StartAsync();
        using var kafka = new KafkaSide();
        var tables = TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = azurite.ConnectionString });
        foreach (var product in CollectorWorkload.Products)
        {
            await new StockLevels(tables).DefineAsync(CollectorWorkload.Tenant, new StockItem
            {
                ProductId = product, ProductName = "Product Name", Sku = "SKU-" + product, WarehouseId = "wh-1", WarehouseName = "Main",
                OnHand = OpeningStock, ReorderLevel = 0, Primary = true,
            });
        }

        await using var publisher = await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = broker.Uri, ConnectTimeout = TimeSpan.FromMinutes(1) });
        await publisher.DeclareAsync(TopologyDefinition.For(Consumers.All), CancellationToken.None);
        await publisher.DeclareAsync(new TopologyDefinition([new ExchangeDefinition(Destinations.CollectorExchange)],
            [new QueueDefinition(LedgerQueue, new Dictionary<string, object> { ["x-queue-type"] = "quorum" }, Durable: true)],
            [new BindingDefinition(Destinations.CollectorExchange, LedgerQueue, "#")]), CancellationToken.None);

        var log = Path.Combine(Path.GetTempPath(), $"chaos-{settings.Seed}.log");
        File.Delete(log);
        var workerSettings = new Dictionary<string, string>
        {
            ["Processing__LeaseDuration"] = "00:00:05",
            ["Processing__LeaseRenewalInterval"] = "00:00:01",
            ["LocalHost__RetryBaseDelay"] = "00:00:00.100",
            ["LocalHost__MaxRetryAfter"] = "00:00:02",
            ["LocalHost__OutageMaxProbeInterval"] = "00:00:02",
            ["LocalHost__DrainTimeout"] = "00:00:05",
            // Longer than the default 200 ms, so that a kill finds records processed and not yet committed.
            ["LocalHost__Kafka__CommitInterval"] = "00:00:03",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
            // Several workers share this machine: no fixed health port (the default 8081 would be taken by the first).
            ["LocalHost__Operations__HealthPort"] = "0",
        };
        WorkerProcess StartWorker(int slot) => WorkerProcess.Start($"w{slot + 1}", broker.Uri, azurite.ConnectionString, workerSettings, log, kafka.Bootstrap);
        var workers = new WorkerProcess?[FaultSchedule.InitialWorkers + 1];
        var slots = workers.Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        for (var i = 0; i < FaultSchedule.InitialWorkers; i++) workers[i] = StartWorker(i);
        try
        {
            var clock = Stopwatch.StartNew();
            var publishing = Task.WhenAll(
                Paced(collectorInputs, settings.Window, input => PublishAsync(publisher, input)),
                Paced(mesInputs, settings.Window, kafka.ProduceAsync));
            var lastFaultEnd = TimeSpan.Zero;
            var crashed = new List<string>();
            var kills = 0;
            async Task RunAsync(Fault fault)
            {
                var wait = fault.At - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                Print($"{clock.Elapsed.TotalSeconds,5:0.0} s ({DateTime.UtcNow:HH:mm:ss.fff}): {fault}");
                switch (fault.Kind)
                {
                    case FaultKind.Kill:
                        await slots[fault.Worker].WaitAsync();
                        try
                        {
                            if (workers[fault.Worker] is not { } victim) break;
                            // A kill lands on a working worker: one still starting (after the previous kill) is waited for.
                            await Task.WhenAny(victim.Ready, Task.Delay(ReadyTimeout));
                            if (clock.Elapsed - fault.At > TimeSpan.FromSeconds(1)) Print($"{clock.Elapsed.TotalSeconds,5:0.0} s: {fault} (once w{fault.Worker + 1} was up)");
                            if (victim.ExitedByItself) lock (crashed) crashed.Add($"{victim.Name} (exit code {victim.ExitCode}, found at {clock.Elapsed.TotalSeconds:0.0} s)");
                            await victim.KillAsync();
                            Interlocked.Increment(ref kills);
                            await Task.Delay(TimeSpan.FromMilliseconds(200 + (1800 * (fault.At.TotalMilliseconds % 1))));
                            await victim.DisposeAsync();
                            workers[fault.Worker] = StartWorker(fault.Worker);
                        }
                        finally
                        {
                            slots[fault.Worker].Release();
                        }
                        break;
                    case FaultKind.Join:
                        await slots[fault.Worker].WaitAsync();
                        workers[fault.Worker] = StartWorker(fault.Worker);
                        slots[fault.Worker].Release();
                        break;
                    case FaultKind.BrokerRestart:
                        await broker.RestartAsync(TimeSpan.FromSeconds(3));
                        break;
                    case FaultKind.StoragePause:
                        await azurite.PauseAsync();
                        await Task.Delay(TimeSpan.FromSeconds(8));
                        await azurite.ResumeAsync();
                        break;
                }
                lock (faults) lastFaultEnd = clock.Elapsed > lastFaultEnd ? clock.Elapsed : lastFaultEnd;
            }
            await Task.WhenAll(faults.Select(f => Task.Run(() => RunAsync(f))).Append(publishing));
            var lastFault = lastFaultEnd;
            Print($"{clock.Elapsed.TotalSeconds,5:0.0} s: published everything; last fault over at {lastFault.TotalSeconds:0.0} s");

            var ledger = new Ledger(tables);
            var quiesce = await QuiesceAsync(publisher, broker, kafka, collectorInputs.Count + (2 * offers.Count), clock, lastFault, settings.QuiesceTimeout, ledger);

            // The ledger, read from outside the workers.
            var collectorFollowOns = await DrainLedgerAsync(publisher);
            await ledger.CheckCollectorAsync(collectorFollowOns, offers);
            var mesRecords = kafka.Read(Destinations.MesTopic);
            var mesFollowOns = mesRecords.Where(r => IsCloudEvent(r.Message.Value))
                .Select(r => JsonSerializer.Deserialize<CloudEvent>(r.Message.Value, ContractJson.Options)!).ToArray();
            await ledger.CheckMesAsync(mesFollowOns, workOrders, MesInputEventIds(mesInputs));
            foreach (var (what, events) in new[] { ("Collector", (IReadOnlyList<CloudEvent>)collectorFollowOns), ("MES", mesFollowOns) })
                foreach (var cause in events.GroupBy(e => (e.CausationId, e.Type)).Where(g => g.Select(e => e.Id).Distinct().Count() > 1))
                    ledger.Add(Anomaly.Doubled, $"{what}: {cause.Select(e => e.Id).Distinct().Count()} {cause.Key.Type} ids caused by {cause.Key.CausationId}");
            await ledger.CheckClaimsAsync();
            crashed.AddRange(workers.Where(w => w is { ExitedByItself: true }).Select(w => $"{w!.Name} (exit code {w.ExitCode}, at the end)"));
            foreach (var worker in crashed) ledger.Add(Anomaly.Stuck, $"worker {worker} exited by itself");
            foreach (var (group, behind) in kafka.Uncommitted().Where(g => g.Value > 0)) ledger.Add(Anomaly.Stuck, $"Kafka group {group}: {behind} records not committed");
            var depths = await broker.QueueDepthsAsync();
            foreach (var (queue, n) in depths.Where(d => IsWorkQueue(d.Key) && d.Value > 0)) ledger.Add(Anomaly.Stuck, $"queue {queue}: {n} messages (ready or unacked)");

            // A dead letter is claimed under its message's identity (a record's partition and offset, a queue message's content) and marked
            // once written, so a message delivered again after a kill or a lost ack is not dead-lettered again; only a kill inside the
            // marker's one store round trip leaves a second letter, of the same original (the dead-letter tools list and replay it once).
            // So: each planted letter once per original, and letters written again at most one per kill (more would mean the marker does
            // not work: before it, most Kafka letters were, and a RabbitMQ restart between a letter's confirm and its ack doubled one).
            var (rabbitLetters, rabbitRewritten) = await RabbitDeadLettersAsync(publisher, depths, collectorPoison);
            ledger.CheckDeadLetters("RabbitMQ", rabbitLetters,
                collectorPoison.Select(p => ($"{Destinations.DeadLetterQueue(Consumers.CreateOrderFromOffer.Queue)} ({p.Code})", p.Name)).ToArray());
            if (rabbitRewritten > kills) ledger.Add(Anomaly.DeadLetter, $"RabbitMQ: {rabbitRewritten} dead letters written again for {kills} kills");
            var (kafkaLetters, rewritten) = KafkaDeadLetters(kafka, mesPoison, ignored);
            ledger.CheckDeadLetters("Kafka", kafkaLetters, mesPoison.SelectMany(p => p.Groups.Select(g => ($"{g} ({p.Code})", p.Name))).ToArray());
            if (rewritten > kills) ledger.Add(Anomaly.DeadLetter, $"Kafka: {rewritten} dead letters written again for {kills} kills");

            var collectorAmplification = (double)collectorFollowOns.Count / Math.Max(1, collectorFollowOns.Select(e => e.Id).Distinct().Count());
            var mesAmplification = (double)mesFollowOns.Length / Math.Max(1, mesFollowOns.Select(e => e.Id).Distinct().Count());
            Print($"ledger (seed {settings.Seed}): lost {ledger.Count(Anomaly.Lost)}, doubled {ledger.Count(Anomaly.Doubled)}, stuck {ledger.Count(Anomaly.Stuck)}, " +
                $"dead-letter anomalies {ledger.Count(Anomaly.DeadLetter)}; dead letters {rabbitLetters.Count} on RabbitMQ for {collectorPoison.Count} planted ({rabbitRewritten} written again), " +
                $"{kafkaLetters.Count} on Kafka for {mesPoison.Sum(p => p.Groups.Count)} expected (poison x group; {rewritten} written again after one of {kills} kills)");
            Print($"follow-ons: Collector {collectorFollowOns.Select(e => e.Id).Distinct().Count()} ({collectorAmplification:0.000} messages each), " +
                $"MES {mesFollowOns.Select(e => e.Id).Distinct().Count()} ({mesAmplification:0.000} records each); " +
                $"quiet {quiesce.TotalSeconds:0.0} s after the last fault (target {QuiesceTarget.TotalSeconds:0} s: {(quiesce < QuiesceTarget ? "met" : "missed")}); run {clock.Elapsed.TotalSeconds:0} s; worker log {log}");
            foreach (var (kind, what) in ledger.Anomalies.Take(40)) Print($"  {kind}: {what}");
            // The time to quiesce is a figure, not a verdict (speed goals belong to bench/): a busy machine is slower, not wrong.
            Assert.Empty(ledger.Anomalies);
        }
        finally
        {
            foreach (var worker in workers)
                if (worker is not null) await worker.DisposeAsync();
        }
    }

    /// <summary>
    /// Waits until the run is quiet: the ledger queue holds at least every input and one order.created and stock.reserved per offer,
    /// every MES group committed to the topic's end, and every work queue is empty, ready and unacknowledged alike. Returns the time
    /// from the last fault's end to that moment; a run not quiet after <paramref name="timeout"/> is reported stuck, and its ledger read anyway.
    /// </summary>
    private async Task<TimeSpan> QuiesceAsync(IMessageTransport publisher, PrivateRabbitMq broker, KafkaSide kafka, int ledgerMinimum, Stopwatch clock, TimeSpan lastFault,
        TimeSpan timeout, Ledger ledger)
    {
        var report = clock.Elapsed;
        while (true)
        {
            var onLedger = await publisher.CountAsync(LedgerQueue, CancellationToken.None);
            var uncommitted = kafka.Uncommitted().Where(g => g.Value > 0).ToArray();
            var busy = onLedger >= ledgerMinimum && uncommitted.Length == 0
                ? (await broker.QueueDepthsAsync()).Where(d => IsWorkQueue(d.Key) && d.Value > 0).ToArray()
                : null;
            if (busy is { Length: 0 }) return clock.Elapsed - lastFault;
            if (clock.Elapsed - report > TimeSpan.FromSeconds(15))
            {
                report = clock.Elapsed;
                Print($"{clock.Elapsed.TotalSeconds,5:0.0} s: not quiet yet: ledger {onLedger} of at least {ledgerMinimum}; Kafka behind: " +
                    (uncommitted.Length == 0 ? "none" : string.Join(", ", uncommitted.Select(g => $"{g.Key} {g.Value}"))) +
                    (busy is null ? "" : "; queues: " + string.Join(", ", busy.Select(d => $"{d.Key} {d.Value}"))));
            }
            if (clock.Elapsed - lastFault > timeout)
            {
                ledger.Add(Anomaly.Stuck, $"not quiet {timeout} after the last fault");
                return clock.Elapsed - lastFault;
            }
            await Task.Delay(500);
        }
    }

    private static bool IsWorkQueue(string queue) => queue != LedgerQueue && !queue.EndsWith(".dead-letter", StringComparison.Ordinal);

    /// <summary>Hands the items out evenly over the window.</summary>
    private static async Task Paced<T>(IReadOnlyList<T> items, TimeSpan window, Func<T, Task> send)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < items.Count; i++)
        {
            await send(items[i]);
            var due = window * ((i + 1) / (double)items.Count) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
        }
    }

    /// <summary>Publishes, waiting out a broker restart (the publisher is a client like any other).</summary>
    private static async Task PublishAsync(IMessageTransport transport, CollectorInput input)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                await transport.PublishAsync(Destinations.CollectorExchange, input.RoutingKey, new OutboundMessage(input.Body, "application/json", input.MessageId), CancellationToken.None);
                return;
            }
            catch (BrokerUnavailableException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>The follow-ons on collector-events (the ledger queue also holds the inputs, which are no CloudEvents).</summary>
    private static async Task<List<CloudEvent>> DrainLedgerAsync(IMessageTransport transport)
    {
        var events = new List<CloudEvent>();
        await using var batch = await transport.GetAsync(LedgerQueue, 1_000_000, CancellationToken.None);
        foreach (var delivery in batch.Deliveries)
        {
            if (delivery.Message.ContentType == CloudEvent.JsonContentType)
                events.Add(JsonSerializer.Deserialize<CloudEvent>(delivery.Message.Body.Span, ContractJson.Options)!);
            await delivery.AckAsync();
        }
        return events;
    }

    /// <summary>
    /// Every message in every dead-letter queue, as (queue and verdict, which poison it is), once per original (queue, message id, body);
    /// how many letters were written again for an original already seen is returned beside.
    /// </summary>
    private static async Task<(List<(string Where, string What)> Letters, int Rewritten)> RabbitDeadLettersAsync(IMessageTransport transport,
        IReadOnlyDictionary<string, long> depths, IReadOnlyList<Poison> poison)
    {
        var names = poison.ToDictionary(p => Convert.ToBase64String(p.Body), p => p.Name);
        var letters = new List<(string, string)>();
        var originals = new HashSet<(string, string?, string)>();
        var rewritten = 0;
        foreach (var queue in depths.Where(d => d.Key.EndsWith(".dead-letter", StringComparison.Ordinal) && d.Value > 0).Select(d => d.Key))
        {
            await using var batch = await transport.GetAsync(queue, 100_000, CancellationToken.None);
            foreach (var delivery in batch.Deliveries)
            {
                var body = Convert.ToBase64String(delivery.Message.Body.Span);
                if (!originals.Add((queue, delivery.Message.MessageId, body)))
                {
                    rewritten++;
                    continue;
                }
                var code = delivery.Message.HeadersOrEmpty.GetValueOrDefault(DeadLetterHeaders.Code);
                letters.Add(($"{queue} ({code})", names.GetValueOrDefault(body, Preview(delivery.Message.Body.Span))));
            }
        }
        return (letters, rewritten);
    }

    /// <summary>
    /// Every letter on mes-events.dead-letter, as (group and verdict, which poison it is), once per original record (group, partition,
    /// offset); how many letters were written again for an original already seen is returned beside.
    /// </summary>
    private static (List<(string Where, string What)> Letters, int Rewritten) KafkaDeadLetters(KafkaSide kafka, IReadOnlyList<MesPoison> poison, byte[] ignored)
    {
        var names = poison.ToDictionary(p => Convert.ToBase64String(p.Value), p => p.Name);
        names[Convert.ToBase64String(ignored)] = "the record of a type nobody consumes";
        var letters = new List<(string, string)>();
        var originals = new HashSet<(string, int, long)>();
        var rewritten = 0;
        foreach (var record in kafka.Read(Destinations.MesDeadLetterTopic))
        {
            if (KafkaDeadLetter.TryRead(record.Message.Value) is not { } letter)
            {
                letters.Add(("(no envelope)", Preview(record.Message.Value)));
                continue;
            }
            if (!originals.Add((letter.ConsumerGroup, letter.Original.Partition, letter.Original.Offset)))
            {
                rewritten++;
                continue;
            }
            var value = letter.Original.ValueBytes() ?? [];
            letters.Add(($"{letter.ConsumerGroup} ({letter.Reason.Code})", names.GetValueOrDefault(Convert.ToBase64String(value), Preview(value))));
        }
        return (letters, rewritten);
    }

    /// <summary>The ids the pipeline gives the planted (not poison) MES records: meta.eventId, or the body hash without one.</summary>
    private static HashSet<string> MesInputEventIds(IEnumerable<MesInput> inputs)
    {
        var reader = new EnvelopeReader();
        return inputs.Where(i => !i.Kind.StartsWith("poison", StringComparison.Ordinal))
            .Select(i => reader.Read(new InboundMessage(i.Value)).Value)
            .Where(e => e is { Type: M.WorkOrderCompleted or M.QualityInspectionCompleted })
            .Select(e => e!.Id).ToHashSet(StringComparer.Ordinal);
    }

    private static bool IsCloudEvent(byte[] value) => value.Length < 100_000 && Encoding.UTF8.GetString(value).Contains("\"specversion\"", StringComparison.Ordinal);

    private static string Preview(ReadOnlySpan<byte> body) => Encoding.UTF8.GetString(body[..Math.Min(body.Length, 80)]);

    private void Print(string line)
    {
        output.WriteLine(line);
        Console.WriteLine($"[chaos] {line}");
    }
}
