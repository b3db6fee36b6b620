using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using EventProcessors.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>host.json's <c>extensions.kafka</c> settings the listener's commit rules read.</summary>
public sealed record KafkaHostOptions(bool CommitOnFailure, int MaxRetries)
{
    /// <summary>The repository's host.json, as deployed.</summary>
    public static KafkaHostOptions FromHostJson()
    {
        var kafka = JsonDocument.Parse(RepositoryFiles.Read("host.json")).RootElement.GetProperty("extensions").GetProperty("kafka");
        // Rule: both are optional; the extension's defaults are commitOnFailure true and maxRetries 5 (KafkaOptions, 4.3.x).
        return new KafkaHostOptions(
            kafka.TryGetProperty("commitOnFailure", out var commit) ? commit.GetBoolean() : true,
            kafka.TryGetProperty("maxRetries", out var max) ? max.GetInt32() : 5);
    }
}

/// <summary>
/// Drives one Kafka-triggered function of the Function App against a Kafka-protocol broker (librdkafka's mock cluster)
/// the way the Functions host's Kafka listener does (Azure/azure-functions-kafka-extension 4.3.x,
/// Trigger/SingleItemFunctionExecutor.cs and FunctionExecutorBase.cs, with the host's function-level retry). Each rule
/// names the behaviour it reproduces. Retry intervals are the function's own attribute values scaled by
/// <see cref="RetryTimeScale"/> to keep the suite fast; the count and the order of attempts are the real ones.
/// </summary>
public sealed class KafkaTriggerHarness : IAsyncDisposable
{
    private readonly IServiceProvider _services;
    private readonly SqlOutputStandIn _sql;
    private readonly string _function;
    private readonly KafkaHostOptions _host;
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly IProducer<string?, string> _producer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _retryCounters = new(StringComparer.Ordinal);
    private readonly Task _loop;

    public const double RetryTimeScale = 0.01;

    /// <summary>Every invocation: (partition, offset, retry count, succeeded, error).</summary>
    public ConcurrentQueue<(int Partition, long Offset, int RetryCount, bool Succeeded, string? Error)> Invocations { get; } = new();

    /// <summary>Records the listener committed past after they failed (force-commit or commitOnFailure): skipped records.</summary>
    public ConcurrentQueue<(int Partition, long Offset)> Skipped { get; } = new();

    public KafkaTriggerHarness(string bootstrapServers, IServiceProvider services, SqlOutputStandIn sql, string function, KafkaHostOptions host)
    {
        _services = services;
        _sql = sql;
        _function = function;
        _host = host;
        var trigger = FunctionInvoker.TriggerOf<KafkaTriggerAttribute>(function);
        // Rule: one consumer per function with the trigger's consumer group, offsets committed by the listener itself (no
        // auto-commit of unprocessed offsets), autoOffsetReset Earliest as host.json sets it. The mock cluster speaks
        // plaintext, so the attribute's SASL_SSL settings are not applied here.
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = trigger.ConsumerGroup,
            GroupProtocol = KafkaMockCluster.GroupProtocol,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        _consumer.Subscribe(trigger.Topic);
        // Rule: the Kafka output binding produces each value with ProduceAsync and awaits its delivery report.
        _producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All, MessageTimeoutMs = 10_000 }).Build();
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ConsumeResult<byte[], byte[]>? record;
            try
            {
                record = _consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException)
            {
                continue;
            }
            if (record is null || record.IsPartitionEOF) continue;
            // Rule: records of one partition run one at a time, in offset order (one task per partition in the real
            // executor; here one loop for all partitions, which keeps the same order within each partition).
            var succeeded = await ExecuteWithRetriesAsync(record);
            var key = $"{record.Topic}/{record.Partition.Value}/{record.Offset.Value}";
            if (succeeded)
            {
                // Rule: after a successful execution the offset + 1 is committed and the record's retry counter cleared.
                _retryCounters.TryRemove(key, out _);
                _consumer.Commit([new TopicPartitionOffset(record.TopicPartition, record.Offset + 1)]);
            }
            else if (_host.CommitOnFailure || (_host.MaxRetries >= 0 && _retryCounters.AddOrUpdate(key, 1, (_, c) => c + 1) > _host.MaxRetries))
            {
                // Rule: commitOnFailure true commits past a failed record (at most once); with false, a record that failed
                // more than maxRetries times (unless -1) is force-committed: skipped.
                _retryCounters.TryRemove(key, out _);
                Skipped.Enqueue((record.Partition.Value, record.Offset.Value));
                _consumer.Commit([new TopicPartitionOffset(record.TopicPartition, record.Offset + 1)]);
            }
            else
            {
                // Rule: otherwise nothing is committed and the partition's remaining records wait: the record is delivered again.
                _consumer.Seek(new TopicPartitionOffset(record.TopicPartition, record.Offset));
            }
        }
    }

    /// <summary>
    /// Rule: the host's function-level retry (the function's retry attribute) runs the invocation, outputs included, up to
    /// MaxRetryCount more times with the attribute's delays, passing RetryContext (RetryCount 0.., MaxRetryCount).
    /// </summary>
    private async Task<bool> ExecuteWithRetriesAsync(ConsumeResult<byte[], byte[]> consumed)
    {
        var retry = FunctionInvoker.RetryOf(_function);
        var max = retry?.MaxRetryCount ?? 0;
        for (var attempt = 0; ; attempt++)
        {
            string? error = null;
            try
            {
                var context = FunctionInvoker.Context(BindingData(consumed), attempt, retry is null ? null : max, _stop.Token);
                var outputs = await FunctionInvoker.InvokeAsync(_services, _function, Record(consumed), context);
                await ApplyOutputsAsync(outputs);
            }
            catch (Exception ex)
            {
                error = ex.Message;
            }
            Invocations.Enqueue((consumed.Partition.Value, consumed.Offset.Value, attempt, error is null, error));
            if (error is null) return true;
            if (attempt >= max || _stop.IsCancellationRequested) return false;
            await Task.Delay(Delay(retry!, attempt + 1));
        }
    }

    private static TimeSpan Delay(RetryAttribute retry, int retryNumber)
    {
        var delay = retry switch
        {
            FixedDelayRetryAttribute fixedDelay => TimeSpan.Parse(fixedDelay.DelayInterval, System.Globalization.CultureInfo.InvariantCulture),
            ExponentialBackoffRetryAttribute backoff => TimeSpan.FromTicks(Math.Min(
                TimeSpan.Parse(backoff.MinimumInterval, System.Globalization.CultureInfo.InvariantCulture).Ticks * (long)Math.Pow(2, retryNumber - 1),
                TimeSpan.Parse(backoff.MaximumInterval, System.Globalization.CultureInfo.InvariantCulture).Ticks)),
            _ => TimeSpan.Zero,
        };
        return delay * RetryTimeScale;
    }

    /// <summary>Rule: output bindings are applied after the function returned; any failure fails the invocation.</summary>
    private async Task ApplyOutputsAsync(IReadOnlyList<OutputValue> outputs)
    {
        _sql.Apply(outputs.Where(o => o.Binding is SqlOutputAttribute).Select(o => (((SqlOutputAttribute)o.Binding).CommandText, o.Value)));
        foreach (var output in outputs)
        {
            if (output.Binding is not KafkaOutputAttribute kafka) continue;
            var values = output.Value as string[] ?? [(string)output.Value];
            foreach (var value in values)
                await _producer.ProduceAsync(kafka.Topic, Message(value));
        }
    }

    /// <summary>
    /// Rule: a string output carrying all of Offset, Partition, Topic, Timestamp, Value and Headers (plus Key) is read as
    /// key, value and headers (header values as plain strings); any other string is the message value itself.
    /// </summary>
    public static Message<string?, string> Message(string value)
    {
        try
        {
            using var json = JsonDocument.Parse(value);
            var root = json.RootElement;
            if (root.ValueKind == JsonValueKind.Object && new[] { "Offset", "Partition", "Topic", "Timestamp", "Value", "Headers" }.All(k => root.TryGetProperty(k, out _)))
            {
                var headers = new Headers();
                foreach (var header in root.GetProperty("Headers").EnumerateArray())
                    headers.Add(header.GetProperty("Key").GetString()!, Encoding.UTF8.GetBytes(header.GetProperty("Value").GetString() ?? ""));
                var body = root.GetProperty("Value");
                return new Message<string?, string>
                {
                    Key = root.TryGetProperty("Key", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString() : null,
                    Value = body.ValueKind == JsonValueKind.String ? body.GetString()! : body.GetRawText(),
                    Headers = headers,
                };
            }
        }
        catch (JsonException)
        {
        }
        return new Message<string?, string> { Value = value };
    }

    private static KafkaRecord Record(ConsumeResult<byte[], byte[]> consumed) => new()
    {
        Topic = consumed.Topic,
        Partition = consumed.Partition.Value,
        Offset = consumed.Offset.Value,
        Key = consumed.Message.Key,
        Value = consumed.Message.Value,
        Timestamp = new KafkaTimestamp { UnixTimestampMs = consumed.Message.Timestamp.UnixTimestampMs, Type = (KafkaTimestampType)(int)consumed.Message.Timestamp.Type },
        Headers = consumed.Message.Headers?.Select(h => new KafkaHeader { Key = h.Key, Value = h.GetValueBytes() }).ToArray() ?? [],
    };

    private static Dictionary<string, object?> BindingData(ConsumeResult<byte[], byte[]> consumed) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Topic"] = consumed.Topic,
        ["Partition"] = consumed.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Offset"] = consumed.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The group's committed offset of each partition of <paramref name="topic"/> (-1001 when none).</summary>
    public IReadOnlyList<long> Committed(string topic, int partitions) =>
        [.. _consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10)).OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _consumer.Close();
        _consumer.Dispose();
        _producer.Dispose();
        _stop.Dispose();
    }
}
