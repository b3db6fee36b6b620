using System.Globalization;
using System.Text;
using Confluent.Kafka;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.LocalHost.DeadLetters;

/// <summary>
/// Lists and replays <c>mes-events.dead-letter</c>: the <see cref="KafkaDeadLetter"/> envelopes both hosts write. A topic keeps every
/// record, so what has been replayed is remembered per action as the committed offset of consumer group
/// <c>&lt;group&gt;.dead-letter-replay</c>: <c>list</c> shows the letters past it (nothing moves), <c>replay</c> produces each letter's
/// original record back to its topic (same key, original headers, <c>x-replay-count</c> counted up so the pipeline runs an event it had
/// dead-lettered) and, once the broker acknowledged the replays, commits past them. A record several actions dead-lettered is replayed
/// once per run: every group reads the topic, and those that had handled it answer from their records.
/// </summary>
public sealed class KafkaDeadLetterTool(KafkaOptions options) : IDeadLetterTool
{
    /// <summary>The replay cursor of an action's dead letters is the committed offset of consumer group <c>&lt;group&gt;.dead-letter-replay</c>.</summary>
    public const string ReplayGroupSuffix = ".dead-letter-replay";

    private static readonly IReadOnlyList<string> MesGroups = Consumers.All.Where(c => c.Bus == EventBus.Mes).Select(c => c.Queue).ToArray();

    /// <summary>The consumer groups of MES actions, whose dead letters this tool reads.</summary>
    public static bool IsMesGroup(string name) => MesGroups.Contains(Normalise(name), StringComparer.Ordinal);

    public async Task<IReadOnlyList<DeadLetterInfo>> ListAsync(string? group, int limit, CancellationToken cancellationToken)
    {
        var result = new List<DeadLetterInfo>();
        foreach (var g in GroupsFor(group))
            result.AddRange((await ReadAsync(g, limit, cancellationToken).ConfigureAwait(false)).Letters.Select(l => l.Info));
        return result;
    }

    /// <summary>Replays up to <paramref name="limit"/> dead letters per action; returns what was replayed and what could not be (not an envelope).</summary>
    public async Task<(IReadOnlyList<DeadLetterInfo> Replayed, IReadOnlyList<DeadLetterInfo> Skipped)> ReplayAsync(string? group, int limit, CancellationToken cancellationToken)
    {
        var replayed = new List<DeadLetterInfo>();
        var skipped = new List<DeadLetterInfo>();
        var sent = new HashSet<(string, int, long)>();
        await using var transport = new KafkaTransport(options);
        foreach (var g in GroupsFor(group))
        {
            var (letters, positions) = await ReadAsync(g, limit, cancellationToken).ConfigureAwait(false);
            foreach (var (info, envelope) in letters)
            {
                if (envelope is null)
                {
                    skipped.Add(info);
                    continue;
                }
                var original = envelope.Original;
                if (sent.Add((original.Topic, original.Partition, original.Offset)))
                    await transport.ProduceAsync(original.Topic, ReplayOf(original), cancellationToken).ConfigureAwait(false);
                replayed.Add(info);
            }
            Commit(g, positions);
        }
        return (replayed, skipped);
    }

    private static Message<byte[]?, byte[]?> ReplayOf(KafkaOriginal original)
    {
        var headers = new Headers();
        foreach (var (name, value) in original.Headers)
            if (!DeadLetterHeaders.IsDeadLetterHeader(name) && !name.Equals(DeadLetterHeaders.Replays, StringComparison.OrdinalIgnoreCase))
                headers.Add(name, Encoding.UTF8.GetBytes(value));
        headers.Add(DeadLetterHeaders.Replays, Encoding.UTF8.GetBytes((ReplaysOf(original) + 1).ToString(CultureInfo.InvariantCulture)));
        return new Message<byte[]?, byte[]?>
        {
            Key = original.Key is null ? null : Encoding.UTF8.GetBytes(original.Key),
            Value = original.ValueBytes(),
            Headers = headers,
        };
    }

    private static int ReplaysOf(KafkaOriginal original) => new InboundMessage(ReadOnlyMemory<byte>.Empty,
        new Dictionary<string, string>(original.Headers, StringComparer.OrdinalIgnoreCase)).Count(DeadLetterHeaders.Replays);

    /// <summary>The dead letters of <paramref name="group"/> past its replay cursor, and the position after each partition's last one read.</summary>
    private Task<(List<(DeadLetterInfo Info, KafkaDeadLetter? Envelope)> Letters, List<TopicPartitionOffset> Positions)> ReadAsync(string group, int limit, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var consumer = Consumer(group);
            var letters = new List<(DeadLetterInfo, KafkaDeadLetter?)>();
            var positions = new List<TopicPartitionOffset>();
            var partitions = Partitions(consumer);
            var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(30)).ToDictionary(c => c.TopicPartition, c => c.Offset);
            foreach (var partition in partitions)
            {
                var end = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(30)).High.Value;
                var start = committed.GetValueOrDefault(partition, Offset.Unset) is { IsSpecial: false } at ? at.Value : 0L;
                var position = start;
                if (start < end)
                {
                    consumer.Assign(new TopicPartitionOffset(partition, start));
                    while (position < end && letters.Count < limit)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var record = consumer.Consume(TimeSpan.FromSeconds(10));
                        if (record is null) break;
                        position = record.Offset.Value + 1;
                        var envelope = KafkaDeadLetter.TryRead(record.Message.Value ?? []);
                        if (envelope is not null && Normalise(envelope.ConsumerGroup) != group) continue;
                        letters.Add((Describe(record, envelope), envelope));
                    }
                    consumer.Unassign();
                }
                positions.Add(new TopicPartitionOffset(partition, position));
            }
            return (letters, positions);
        }, cancellationToken);

    private void Commit(string group, List<TopicPartitionOffset> positions)
    {
        using var consumer = Consumer(group);
        consumer.Commit(positions);
    }

    private IConsumer<byte[]?, byte[]?> Consumer(string group) => new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig(options.ClientConfig())
    {
        GroupId = group + ReplayGroupSuffix,
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
    }).Build();

    private List<TopicPartition> Partitions(IConsumer<byte[]?, byte[]?> consumer)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var topic = admin.GetMetadata(options.DeadLetterTopic, TimeSpan.FromSeconds(30)).Topics.Single();
        if (topic.Error.Code != ErrorCode.NoError)
            throw new ArgumentException($"The dead-letter topic {options.DeadLetterTopic} cannot be read: {topic.Error.Reason}.");
        return topic.Partitions.Select(p => new TopicPartition(options.DeadLetterTopic, p.PartitionId)).ToList();
    }

    private DeadLetterInfo Describe(ConsumeResult<byte[]?, byte[]?> record, KafkaDeadLetter? envelope)
    {
        if (envelope is null)
            return new DeadLetterInfo(options.DeadLetterTopic, null, null, null, "(not a dead-letter envelope)", null, null, record.Topic,
                $"partition {record.Partition.Value} offset {record.Offset.Value}", 0, DeadLetterTool.Preview(Encoding.UTF8.GetString(record.Message.Value ?? [])));
        var (reason, original) = (envelope.Reason, envelope.Original);
        var value = original.ValueEncoding == "base64" ? "(binary, base64) " + original.Value : original.Value ?? "";
        return new DeadLetterInfo(options.DeadLetterTopic, original.Headers.GetValueOrDefault("ce_id"), TypeOf(original), reason.Code,
            reason.Path is null ? reason.Message : $"{reason.Message} (at {reason.Path})", envelope.Consumer, envelope.ConsumerGroup, original.Topic,
            $"partition {original.Partition} offset {original.Offset}", ReplaysOf(original), DeadLetterTool.Preview(value));
    }

    private static string? TypeOf(KafkaOriginal original) =>
        original.Headers.GetValueOrDefault("ce_type") ?? DeadLetterTool.TypeOf(original.ValueEncoding == "utf-8" ? original.Value ?? "" : "");

    private static IEnumerable<string> GroupsFor(string? group)
    {
        if (group is null) return MesGroups;
        var name = Normalise(group);
        return MesGroups.Contains(name, StringComparer.Ordinal)
            ? [name]
            : throw new ArgumentException($"No MES consumer group '{name}'. Known: {string.Join(", ", MesGroups)}");
    }

    private static string Normalise(string group) => group.EndsWith(".dead-letter", StringComparison.Ordinal) ? group[..^".dead-letter".Length] : group;
}
