using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>
/// A consumer group's lag per partition as the brokers see it: the high watermark minus the group's committed offset. A
/// partition the group never committed on starts where <see cref="AutoOffsetReset"/> says, so its lag is everything from the
/// log start (earliest) or nothing (latest). Asked through the Admin API, so the consumer's poll thread never waits on it.
/// </summary>
internal static class ConsumerLag
{
    /// <summary>How long one admin request for offsets or metadata may take before the cluster counts as unreachable.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    public static async Task<IReadOnlyDictionary<TopicPartition, long>> QueryAsync(IAdminClient admin, string group, IReadOnlyList<TopicPartition> partitions,
        AutoOffsetReset reset, TimeSpan timeout)
    {
        var committed = admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, [.. partitions])],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = timeout, RequireStableOffsets = false });
        var latest = OffsetsAsync(admin, partitions, OffsetSpec.Latest(), timeout);
        var start = (await committed.ConfigureAwait(false)).Single().Partitions
            .Where(p => p.Error.Code == ErrorCode.NoError)
            .ToDictionary(p => p.TopicPartition, p => p.Offset.Value);
        var high = await latest.ConfigureAwait(false);
        var uncommitted = partitions.Where(p => start.GetValueOrDefault(p, -1) < 0).ToArray();
        if (uncommitted.Length > 0)
        {
            var from = reset == AutoOffsetReset.Earliest ? await OffsetsAsync(admin, uncommitted, OffsetSpec.Earliest(), timeout).ConfigureAwait(false) : high;
            foreach (var partition in uncommitted) start[partition] = from.GetValueOrDefault(partition, -1);
        }
        return partitions.Where(p => high.ContainsKey(p) && start.GetValueOrDefault(p, -1) >= 0)
            .ToDictionary(p => p, p => Math.Max(0, high[p] - start[p]));
    }

    private static async Task<Dictionary<TopicPartition, long>> OffsetsAsync(IAdminClient admin, IEnumerable<TopicPartition> partitions, OffsetSpec spec, TimeSpan timeout)
    {
        var result = await admin.ListOffsetsAsync(partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = spec }),
            new ListOffsetsOptions { RequestTimeout = timeout }).ConfigureAwait(false);
        return result.ResultInfos.Where(r => r.TopicPartitionOffsetError.Error.Code == ErrorCode.NoError)
            .ToDictionary(r => r.TopicPartitionOffsetError.TopicPartition, r => r.TopicPartitionOffsetError.Offset.Value);
    }
}
