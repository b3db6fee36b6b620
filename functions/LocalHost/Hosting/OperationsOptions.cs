namespace EventProcessors.LocalHost.Hosting;

/// <summary>
/// Operations endpoints and probes of <c>serve</c> (section <c>LocalHost:Operations</c>, e.g. <c>LocalHost__Operations__HealthPort</c>).
/// Everything listens on the loopback interface only: a Kubernetes probe or systemd watchdog on the same host (or pod)
/// reaches it, nothing else does.
/// </summary>
public sealed class OperationsOptions
{
    public const string SectionName = "LocalHost:Operations";

    /// <summary>Port of <c>http://127.0.0.1:&lt;port&gt;/healthz</c> (live) and <c>/readyz</c> (ready). Default 8081; 0 turns them off.</summary>
    public int HealthPort { get; set; } = 8081;

    /// <summary>Port of the Prometheus scrape endpoint <c>http://127.0.0.1:&lt;port&gt;/metrics</c>. Default 0 (off); 9464 is Prometheus' usual.</summary>
    public int PrometheusPort { get; set; }

    /// <summary>How often the queues' ready counts are read for the <c>eventprocessors.queue.ready</c> gauge. Default 15 s; zero or less turns it off.</summary>
    public TimeSpan QueueDepthInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Longest a readiness check waits for the broker or the store before calling it unreachable. Default 5 s.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
