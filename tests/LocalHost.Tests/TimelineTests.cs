using System.Text;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Tests;

public sealed class TimelineTests
{
    [Fact]
    public void The_recorder_keeps_only_the_latest_entries_oldest_first()
    {
        var recorder = new TimelineRecorder(capacity: 100);
        for (var i = 0; i < 25_000; i++) recorder.Record(new TimelineEntry(DateTimeOffset.UnixEpoch, TimelineKind.Received, "a", $"e-{i}", "t"));

        Assert.Equal(Enumerable.Range(24_900, 100).Select(i => $"e-{i}"), recorder.Entries.Select(e => e.EventId));
    }

    [Fact]
    public async Task A_waiter_sees_an_entry_recorded_after_it_started_waiting()
    {
        var recorder = new TimelineRecorder(capacity: 1);
        var waiting = recorder.WaitForAsync(entries => entries.Any(e => e.EventId == "late"), TimeSpan.FromSeconds(10));
        recorder.Record(new TimelineEntry(DateTimeOffset.UnixEpoch, TimelineKind.Received, "a", "early", "t"));
        recorder.Record(new TimelineEntry(DateTimeOffset.UnixEpoch, TimelineKind.Received, "a", "late", "t"));

        await waiting;
    }

    [Fact]
    public async Task A_serving_worker_keeps_a_bounded_timeline_however_many_messages_it_handles()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [LocalHostSettingNames.Transport] = "inmemory",
            [Processing.Hosting.SettingNames.TableStorage] = "inmemory",
            ["LocalHost:TimelineCapacity"] = "20",
            ["EventStore:Audit"] = "false",
        }).Build();
        var completed = new CountingObserver();
        await using var services = new ServiceCollection().AddLogging(l => l.SetMinimumLevel(LogLevel.Warning)).AddLocalHost(configuration)
            .AddSingleton<ITimelineObserver>(completed).BuildServiceProvider();
        var worker = services.GetRequiredService<EventWorker>();
        var transport = services.GetRequiredService<IMessageTransport>();
        await worker.StartAsync(CancellationToken.None);
        const int messages = 40;
        var run = Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < messages; i++)
            await transport.PublishAsync(Destinations.CollectorExchange, EventTypes.Collector.OrderConfirmed, new OutboundMessage(OrderConfirmed($"{run}-{i}")), CancellationToken.None);

        var timeline = services.GetRequiredService<TimelineRecorder>();
        await completed.WaitForAsync(messages, TimeSpan.FromSeconds(180), () => string.Join('\n', timeline.Entries.Select(TimelineRecorder.Format)));
        await worker.StopAsync(CancellationToken.None);

        Assert.Equal(20, timeline.Capacity);
        Assert.Equal(20, timeline.Entries.Count); // of the 200+ entries recorded (received, completed, published per message and action)
        Assert.True(completed.Total >= 5 * messages, $"{completed.Total} entries");
    }

    private static byte[] OrderConfirmed(string i) => Encoding.UTF8.GetBytes($$$"""
        {"type":"order.confirmed","timestamp":"2024-01-15T10:40:00.000Z","tenantId":"tenant-123","source":"orders-service","correlationId":"corr-{{{i}}}",
         "data":{"orderId":"o-{{{i}}}","orderNumber":"ORD-{{{i}}}","customerId":"c-1","shippingAddressId":"addr-1","lineItems":[{"productId":"p-1","description":"Product Name","quantity":5,"unit":"pcs"}]}}
        """);

    /// <summary>Counts every entry, and the delivery notes completed, so the test knows when all messages are handled.</summary>
    private sealed class CountingObserver : ITimelineObserver
    {
        private int _total;
        private int _notes;

        public int Total => Volatile.Read(ref _total);

        public void Record(TimelineEntry entry)
        {
            Interlocked.Increment(ref _total);
            if (entry is { Kind: TimelineKind.Completed, Actor: "CreateDeliveryNote" }) Interlocked.Increment(ref _notes);
        }

        public async Task WaitForAsync(int notes, TimeSpan timeout, Func<string> timeline)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Volatile.Read(ref _notes) < notes)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{_notes} of {notes} delivery notes after {timeout}; latest entries:\n{timeline()}");
                await Task.Delay(20);
            }
        }
    }
}
