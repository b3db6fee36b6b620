namespace EventProcessors.Processing.Pipeline;

/// <summary>Settings of the processing pipeline and its idempotency records.</summary>
public sealed class ProcessingOptions
{
    /// <summary>Configuration section the hosts bind these options from.</summary>
    public const string SectionName = "Processing";

    /// <summary>Largest message body accepted; larger ones are dead-lettered. Default 256 KiB.</summary>
    public int MaxEventBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How long a claim protects an event from other workers without being renewed. A worker that dies mid-event is
    /// taken over once its lease expires, so this is how long a crash delays its events. Default 30 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the holder renews its lease while the action runs, so that a live worker's claim never expires
    /// however long its action takes. Must be well under <see cref="LeaseDuration"/> (a renewal may be slow or fail
    /// once). Default 10 s.
    /// </summary>
    public TimeSpan LeaseRenewalInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long idempotency records are kept (duplicates older than this are processed again). Default 7 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The Table Storage table of the idempotency records. Default <c>IdempotencyRecords</c>.</summary>
    public string IdempotencyTableName { get; set; } = "IdempotencyRecords";

    /// <summary>
    /// Partitions each consumer's records are spread over, so one busy consumer is not one hot
    /// partition (the service allows about 2,000 entities/s per partition). Default 32.
    /// </summary>
    public int PartitionBuckets { get; set; } = 32;
}
