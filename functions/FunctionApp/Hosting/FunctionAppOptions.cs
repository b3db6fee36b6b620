namespace EventProcessors.FunctionApp.Hosting;

/// <summary>Settings of the Function App itself (section <c>FunctionApp</c>, e.g. <c>FunctionApp__RetryBaseDelay</c>).</summary>
public sealed class FunctionAppOptions
{
    public const string SectionName = "FunctionApp";

    /// <summary>
    /// First wait of a Collector message that failed transiently, in its retry queue; it doubles per attempt, with jitter.
    /// The function returns once the copy is confirmed in <c>&lt;queue&gt;.retry</c>, so the wait holds no other message
    /// of the queue (the RabbitMQ trigger dispatches one message at a time). Default 2 s.
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest single wait in the retry queue, also for a held lease or an unavailable store. Default 5 minutes.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Attempts at a Collector message that keeps failing transiently before it is dead-lettered (RetriesExhausted).
    /// Waits for a lease another instance holds, or for the store to answer, are not attempts. Default 10: with the
    /// delays above about 13 minutes of retrying.
    /// </summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>
    /// How long one Kafka invocation waits in place for a held lease or an unavailable store before it gives the record
    /// back to the trigger (which then redelivers it; such waits never dead-letter). Below host.json's functionTimeout
    /// (10 minutes). Default 8 minutes.
    /// </summary>
    public TimeSpan KafkaHoldLimit { get; set; } = TimeSpan.FromMinutes(8);

    /// <summary>
    /// Deliveries of one Kafka record whose outputs (follow-ons, rows) the host failed to write before the record is
    /// dead-lettered with its recorded outcome instead; a replay writes them once the cause is fixed. Default 3.
    /// </summary>
    public int KafkaOutputDeliveries { get; set; } = 3;
}
