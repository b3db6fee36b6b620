namespace EventProcessors.LocalHost.Worker;

/// <summary>Settings of the self-hosted worker (section <c>LocalHost</c>, e.g. <c>LocalHost__Prefetch</c>).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "LocalHost";

    /// <summary>Deliveries each action's consumer holds at once (AMQP prefetch); also its concurrency. Default 8.</summary>
    public int Prefetch { get; set; } = 8;

    /// <summary>Times one delivery is processed before a transient failure becomes a dead letter. Default 5.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First backoff delay; it doubles per attempt, with jitter. Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest backoff delay. Default 10 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Longest single wait while another worker holds an event's lease (a duplicate in flight elsewhere, or a worker that
    /// died mid-event). Lease waits back off like failures but do not use up <see cref="MaxAttempts"/>: the delivery is
    /// held until the other worker completes the event or its lease expires and this one takes over. Default 30 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While the store or broker is unreachable, the first wait before a held delivery probes it again; it doubles per
    /// failed probe (with jitter) up to <see cref="OutageMaxProbeInterval"/>. Outages never use up <see cref="MaxAttempts"/>
    /// nor the queue's delivery limit. Default 1 s.
    /// </summary>
    public TimeSpan OutageProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between probes of an unreachable store or broker. Default 15 s.</summary>
    public TimeSpan OutageMaxProbeInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a delivery is held unacknowledged during an outage before it is put back in its queue as a fresh copy
    /// (published with confirm, then the original acked), which spends no delivery attempt. RabbitMQ closes the channel
    /// of a delivery unacknowledged for its <c>consumer_timeout</c> (30 min by default) and counts that return against the
    /// quorum queue's delivery limit, so keep this well under it. Default 10 min.
    /// </summary>
    public TimeSpan OutageHoldLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>On shutdown, how long in-flight deliveries may take to finish before they are cancelled and requeued. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long start-up (and every CLI command that reads the broker) keeps trying to reach RabbitMQ, which may still be starting. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Declare the topology at start (idempotent). Default true.</summary>
    public bool DeclareTopology { get; set; } = true;

    /// <summary>Also run RouteOutbox: republish what the Function App put in <c>collector-events.outbox</c>. Default true.</summary>
    public bool RouteOutbox { get; set; } = true;

    /// <summary>
    /// Entries the in-process timeline keeps (every delivery, verdict and publish; the demo prints it, tests read it); older
    /// ones are dropped, so a long-running host's memory stays flat (<c>serve</c> records none: nothing shows it). Default
    /// <see cref="Timeline.TimelineRecorder.DefaultCapacity"/>.
    /// </summary>
    public int TimelineCapacity { get; set; } = Timeline.TimelineRecorder.DefaultCapacity;

    /// <summary>Quorum queue <c>x-delivery-limit</c>: deliveries after which the broker dead-letters a message. Default 20.</summary>
    public int DeliveryLimit { get; set; } = Transport.TopologyDefinition.DefaultDeliveryLimit;
}
