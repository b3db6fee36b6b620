using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.Processing.Telemetry;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests.Telemetry;

/// <summary>
/// The <c>eventprocessors.consumer.lag</c> gauge as the worker's Kafka consumers feed it, read with a <see cref="MeterListener"/>
/// on librdkafka's mock cluster (or <c>KAFKA_BOOTSTRAP_SERVERS</c>).
/// </summary>
public sealed class ConsumerLagTests(KafkaMockCluster kafka) : IClassFixture<KafkaMockCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Lag_per_partition_is_the_unconsumed_records_while_the_consumer_is_held_falls_to_zero_once_it_drains_and_goes_with_the_partitions()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var options = new KafkaOptions
        {
            BootstrapServers = kafka.BootstrapServers,
            Topic = "lag-" + run,
            DeadLetterTopic = "lag-" + run + ".dead-letter",
            CommitInterval = TimeSpan.FromMilliseconds(50),
            LagInterval = TimeSpan.FromMilliseconds(100),
        };
        kafka.CreateTopic(options.Topic, 3);
        // Partition 0 within the in-flight bound, partition 1 beyond it (paused with records the consumer has not fetched), partition 2 empty.
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, Acks = Acks.All }).Build())
        {
            foreach (var (partition, count) in new[] { (0, 3), (1, options.MaxInFlightPerPartition + 4) })
                for (var i = 0; i < count; i++)
                    await producer.ProduceAsync(new TopicPartition(options.Topic, partition), new Message<string, string> { Key = $"wo-{partition}-{i % 5}", Value = "{}" });
        }
        var group = "lag-test-" + run;
        using var lag = new LagReader(group);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = 0;

        await using var transport = new KafkaTransport(options);
        var subscription = await transport.SubscribeAsync(group, 4, async (delivery, cancellationToken) =>
        {
            await gate.Task.WaitAsync(cancellationToken);
            Interlocked.Increment(ref handled);
            await delivery.AckAsync(cancellationToken);
        }, CancellationToken.None);

        var held = new Dictionary<int, long> { [0] = 3, [1] = options.MaxInFlightPerPartition + 4, [2] = 0 };
        await WaitForAsync(() => lag.Read(options.Topic).SequenceEqual(held.OrderBy(p => p.Key)), lag, options.Topic, "the held lag");
        Assert.Equal(0, Volatile.Read(ref handled));
        // What readiness and the queue-depth gauge ask: the group's lag over every partition; a group that never read has it all.
        Assert.Equal(held.Values.Sum(), await transport.CountAsync(group, CancellationToken.None));
        Assert.Equal(held.Values.Sum(), await transport.CountAsync("lag-idle-" + run, CancellationToken.None));

        gate.SetResult();
        await WaitForAsync(() => lag.Read(options.Topic).SequenceEqual(held.Keys.Order().Select(p => KeyValuePair.Create(p, 0L))), lag, options.Topic, "no lag");
        Assert.Equal(3 + options.MaxInFlightPerPartition + 4, Volatile.Read(ref handled));
        Assert.Equal(0u, await transport.CountAsync(group, CancellationToken.None));

        await subscription.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(lag.Read(options.Topic));
    }

    [Fact]
    public async Task Counting_a_group_on_a_topic_that_does_not_exist_is_queue_not_found()
    {
        var options = new KafkaOptions { BootstrapServers = kafka.BootstrapServers, Topic = "missing-" + Guid.NewGuid().ToString("N")[..8] };
        await using var transport = new KafkaTransport(options);

        var missing = await Assert.ThrowsAsync<EventProcessors.LocalHost.Transport.QueueNotFoundException>(
            () => transport.CountAsync("some-group", CancellationToken.None));
        Assert.Equal("some-group", missing.Queue);
    }

    private static async Task WaitForAsync(Func<bool> condition, LagReader lag, string topic, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No {what} within {Timeout}; last read " + string.Join(", ", lag.Read(topic).Select(p => $"{p.Key}={p.Value}")));
            await Task.Delay(50);
        }
    }

    /// <summary>The gauge's current values of one consumer group, per partition, as an exporter would collect them.</summary>
    private sealed class LagReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly string _group;
        private readonly ConcurrentDictionary<(string Topic, int Partition), long> _values = new();

        public LagReader(string group)
        {
            _group = group;
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ProcessingTelemetry.Name && instrument.Name == MetricNames.ConsumerLag) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? group = null, topic = null;
                int? partition = null;
                foreach (var tag in tags)
                {
                    switch (tag.Key)
                    {
                        case "consumer_group": group = tag.Value as string; break;
                        case "topic": topic = tag.Value as string; break;
                        case "partition": partition = tag.Value as int?; break;
                    }
                }
                if (group == _group && topic is not null && partition is { } p) _values[(topic, p)] = value;
            });
            _listener.Start();
        }

        /// <summary>One collection: every partition the gauge reports now, in partition order.</summary>
        public IReadOnlyList<KeyValuePair<int, long>> Read(string topic)
        {
            _values.Clear();
            _listener.RecordObservableInstruments();
            return [.. _values.Where(v => v.Key.Topic == topic).Select(v => KeyValuePair.Create(v.Key.Partition, v.Value)).OrderBy(v => v.Key)];
        }

        public void Dispose() => _listener.Dispose();
    }
}
