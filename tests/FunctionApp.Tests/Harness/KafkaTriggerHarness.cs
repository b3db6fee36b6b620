using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
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
    private readonly Channel<ConsumeResult<byte[], byte[]>[]> _batches =
        Channel.CreateBounded<ConsumeResult<byte[], byte[]>[]>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
    private readonly Thread _subscriber;
    private readonly Task _reader;

    public const double RetryTimeScale = 0.01;

    /// <summary>KafkaOptions defaults (4.3.x): MaxBatchSize 64, SubscriberIntervalInSeconds 1.</summary>
    private const int MaxBatchSize = 64;

    private static readonly TimeSpan SubscriberInterval = TimeSpan.FromSeconds(1);

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
        // Rule: one consumer per function with the trigger's consumer group; auto-commit on (every AutoCommitIntervalMs,
        // 200 ms) but auto offset store off, so only offsets the listener stored after an execution are committed;
        // autoOffsetReset Earliest. The mock cluster speaks plaintext, so the attribute's SASL_SSL settings are not applied here.
        _consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = trigger.ConsumerGroup,
            GroupProtocol = KafkaMockCluster.GroupProtocol,
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            AutoCommitIntervalMs = 200,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        _consumer.Subscribe(trigger.Topic);
        // Rule: the Kafka output binding produces each value with ProduceAsync and awaits its delivery report.
        _producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All, MessageTimeoutMs = 10_000 }).Build();
        _subscriber = new Thread(Subscribe) { IsBackground = true, Name = "kafka-harness-" + function };
        _subscriber.Start();
        _reader = Task.Run(ReadAsync);
    }

    /// <summary>
    /// Rule (KafkaListener.ProcessSubscription): one subscriber thread consumes records into a batch, which it flushes to
    /// the executor when it holds MaxBatchSize (64) records or when a Consume found nothing within SubscriberIntervalInSeconds
    /// (1 s); the executor's channel holds ExecutorChannelCapacity (1) batch, and while it is full the subscriber waits
    /// (ChannelFullRetryIntervalInMs, 50 ms) before it consumes more.
    /// </summary>
    private void Subscribe()
    {
        var batch = new List<ConsumeResult<byte[], byte[]>>();
        while (!_stop.IsCancellationRequested)
        {
            var batchStart = DateTime.UtcNow;
            var flushed = false;
            for (var available = SubscriberInterval; available > TimeSpan.Zero; available = SubscriberInterval - (DateTime.UtcNow - batchStart))
            {
                ConsumeResult<byte[], byte[]>? record;
                try
                {
                    record = _consumer.Consume(available);
                }
                catch (ConsumeException)
                {
                    continue;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                if (record is null) break;
                if (record.IsPartitionEOF) continue;
                batch.Add(record);
                if (batch.Count >= MaxBatchSize)
                {
                    Flush(batch);
                    flushed = true;
                }
            }
            if (!flushed) Flush(batch);
        }
    }

    private void Flush(List<ConsumeResult<byte[], byte[]>> batch)
    {
        if (batch.Count == 0) return;
        var items = batch.ToArray();
        batch.Clear();
        while (!_stop.IsCancellationRequested && !_batches.Writer.TryWrite(items)) Thread.Sleep(50);
    }

    /// <summary>
    /// Rule (SingleItemFunctionExecutor.ReaderAsync): each batch is split by partition and every partition's records run
    /// in a task of their own, so a slow partition does not delay the others' records of that batch; the next batch starts
    /// only once every partition of this one is done (Task.WhenAll).
    /// </summary>
    private async Task ReadAsync()
    {
        try
        {
            while (await _batches.Reader.WaitToReadAsync(_stop.Token))
                while (!_stop.IsCancellationRequested && _batches.Reader.TryRead(out var batch))
                    await Task.WhenAll(batch.GroupBy(r => r.Partition.Value).Select(p => Task.Run(() => RunPartitionAsync([.. p]))));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Rule (SingleItemFunctionExecutor.ProcessPartitionItemsAsync, 4.3.x): a partition's records run one at a time in
    /// offset order; a record is executed again in place until it is committed: after a success (offset + 1 is stored and
    /// its retry counter cleared), with commitOnFailure true after any failure (at most once), or with false once it
    /// failed more than maxRetries times (unless -1), when it is force-committed: skipped.
    /// </summary>
    private async Task RunPartitionAsync(ConsumeResult<byte[], byte[]>[] records)
    {
        foreach (var record in records)
        {
            var key = $"{record.Topic}/{record.Partition.Value}/{record.Offset.Value}";
            var committed = false;
            while (!committed && !_stop.IsCancellationRequested)
            {
                var succeeded = await ExecuteWithRetriesAsync(record);
                if (_stop.IsCancellationRequested) return; // shutdown: nothing is committed for an unfinished record
                if (succeeded || _host.CommitOnFailure || (_host.MaxRetries >= 0 && _retryCounters.AddOrUpdate(key, 1, (_, c) => c + 1) > _host.MaxRetries))
                {
                    if (!succeeded) Skipped.Enqueue((record.Partition.Value, record.Offset.Value));
                    _retryCounters.TryRemove(key, out _);
                    // Rule (AsyncCommitStrategy): the offset is stored, and the consumer's auto-commit (200 ms) commits it.
                    try
                    {
                        _consumer.StoreOffset(new TopicPartitionOffset(record.TopicPartition, record.Offset + 1));
                    }
                    catch (KafkaException)
                    {
                        // Rule: a commit error is logged and ignored (the partition was revoked; its new owner runs the record again).
                    }
                    committed = true;
                }
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

    /// <summary>Every record of <paramref name="topic"/> now (read until 2 s pass without one).</summary>
    public static IReadOnlyList<Message<string, string>> ReadAll(string bootstrapServers, string topic)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers, GroupId = "reader-" + Guid.NewGuid().ToString("N"), GroupProtocol = KafkaMockCluster.GroupProtocol,
            AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var messages = new List<Message<string, string>>();
        var quiet = DateTime.UtcNow + TimeSpan.FromSeconds(10); // the first fetch waits for the group to form
        while (DateTime.UtcNow < quiet)
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                messages.Add(result.Message);
                quiet = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            }
        consumer.Close();
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reader;
        _subscriber.Join();
        _consumer.Close(); // commits the stored offsets, as the listener's close does
        _consumer.Dispose();
        _producer.Dispose();
        _stop.Dispose();
    }
}
