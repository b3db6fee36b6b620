using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace EventProcessors.Processing.Telemetry;

/// <summary>
/// How much work waits, as gauges on <see cref="ProcessingTelemetry.Meter"/>: deliveries in flight per consumer, messages
/// ready per RabbitMQ queue, and consumer lag per Kafka partition. Transports report what they can tell (the RabbitMQ
/// queue monitor polls the ready counts; the Kafka consumer reports each assigned partition's lag and forgets revoked
/// ones); the gauges export the last reported values. Tags are queue, topic, partition and group names, all bounded by
/// the topology.
/// </summary>
public static class BacklogTelemetry
{
    private static readonly ConcurrentDictionary<string, long> Ready = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(string Group, string Topic, int Partition), long> Lag = new();

    private static readonly UpDownCounter<long> InFlightCount = ProcessingTelemetry.Meter.CreateUpDownCounter<long>(
        MetricNames.InFlight, "{delivery}", "Deliveries the self-hosted worker is processing right now.");

    static BacklogTelemetry()
    {
        ProcessingTelemetry.Meter.CreateObservableGauge(MetricNames.QueueReady, ObserveReady, "{message}",
            "Messages ready for delivery in a RabbitMQ queue (not counting unacknowledged ones).");
        ProcessingTelemetry.Meter.CreateObservableGauge(MetricNames.ConsumerLag, ObserveLag, "{message}",
            "Records a Kafka consumer group has not yet committed, per partition (high watermark minus committed offset).");
    }

    /// <summary>One delivery of <paramref name="consumer"/> started (+1) or settled (-1).</summary>
    public static void InFlight(string consumer, int delta) => InFlightCount.Add(delta, new KeyValuePair<string, object?>("consumer", consumer));

    /// <summary>The ready count of <paramref name="queue"/> as last read from the broker.</summary>
    public static void ReportQueueReady(string queue, long ready) => Ready[queue] = ready;

    /// <summary>The lag of one partition assigned to <paramref name="consumerGroup"/>, as the Kafka consumer last computed it.</summary>
    public static void ReportConsumerLag(string consumerGroup, string topic, int partition, long lag) => Lag[(consumerGroup, topic, partition)] = Math.Max(0, lag);

    /// <summary>The partition was revoked from this consumer: its lag is reported by whoever owns it now.</summary>
    public static void ForgetConsumerLag(string consumerGroup, string topic, int partition) => Lag.TryRemove((consumerGroup, topic, partition), out _);

    private static IEnumerable<Measurement<long>> ObserveReady() =>
        Ready.Select(q => new Measurement<long>(q.Value, new KeyValuePair<string, object?>("queue", q.Key)));

    private static IEnumerable<Measurement<long>> ObserveLag() =>
        Lag.Select(p => new Measurement<long>(p.Value,
            new KeyValuePair<string, object?>("consumer_group", p.Key.Group),
            new KeyValuePair<string, object?>("topic", p.Key.Topic),
            new KeyValuePair<string, object?>("partition", p.Key.Partition)));
}
