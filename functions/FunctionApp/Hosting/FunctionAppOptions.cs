namespace EventProcessors.FunctionApp.Hosting;

/// <summary>Settings of the Function App itself (section <c>FunctionApp</c>, e.g. <c>FunctionApp__RetryBaseDelay</c>).</summary>
public sealed class FunctionAppOptions
{
    public const string SectionName = "FunctionApp";

    /// <summary>
    /// How long a Collector function waits before it throws for a transient failure, on the trigger's first attempt; it
    /// doubles per redelivery. The RabbitMQ trigger redelivers at once and dead-letters after its fifth attempt, so
    /// without the wait a dependency that is a moment late (an order snapshot, a throttled table) would dead-letter
    /// within milliseconds. Default 2 s (about a minute over the five attempts).
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest such wait, also for an event whose lease another instance holds. Default 30 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
}
