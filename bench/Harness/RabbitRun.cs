using EventProcessors.LocalHost.Audit;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;
using RabbitMQ.Client;

namespace EventProcessors.Bench.Harness;

/// <summary>
/// One contender, one run on RabbitMQ: a virtual host of its own with the worker's topology (so every contender meets the same
/// durable quorum queue <c>delivery.create-note</c>), <c>warmUp</c> + <c>messages</c> pre-loaded (the warm-up first, timed apart), the contender started in a child process, the
/// broker polled until every follow-on is there, then the checks that the run really drained: input queue empty, nothing
/// unacknowledged, nothing dead-lettered, exactly one follow-on per message.
/// </summary>
public static class RabbitRun
{
    public static async Task<RunResult> RunAsync(RabbitMqFixture broker, string contender, int messages, int prefetch, int warmUp = 0, bool audit = false,
        IReadOnlyList<string>? extraArguments = null)
    {
        await using var vhost = await broker.CreateVirtualHostAsync("bench");
        var run = Guid.NewGuid().ToString("N")[..8];
        await PrepareAsync(vhost.Uri, audit);
        await using var connection = await new ConnectionFactory { Uri = vhost.Uri, ClientProvidedName = "bench-harness" }.CreateConnectionAsync();
        var total = warmUp + messages;
        await PreloadAsync(connection, run, 0, total);

        await using var poll = await connection.CreateChannelAsync();
        string[] common = ["--uri", vhost.Uri.ToString(), "--prefetch", prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        await using var child = contender.StartsWith("mt", StringComparison.Ordinal)
            ? ChildProcess.StartMassTransit(contender, [.. common, .. contender == "mt-inbox" ? ["--inbox"] : Array.Empty<string>(),
                .. InputQueueArguments.SelectMany(a => new[] { "--queue-argument", $"{a.Key}={a.Value}" })])
            : ChildProcess.Start(contender, [contender, .. common, "--audit", audit ? "true" : "false", "--run", run, .. extraArguments ?? []]);

        // The clock (and the contender's CPU) starts when the first message leaves the queue.
        var result = await FollowOnWatch.MeasureAsync(child, contender, prefetch, warmUp, messages,
            async () => (await poll.QueueDeclarePassiveAsync(Messages.InputQueue)).MessageCount < total,
            async () => (await poll.QueueDeclarePassiveAsync(Messages.FollowOnQueue)).MessageCount);

        var exit = await child.StopAsync(TimeSpan.FromSeconds(60));
        if (exit != 0) throw new BenchFailure($"{contender} exited with {exit}:\n{child.Tail}");
        await VerifyDrainedAsync(poll, contender, total, audit, child.Tail);
        return result;
    }

    /// <summary>The arguments the worker declares <c>delivery.create-note</c> with (quorum, dead-lettering, delivery limit).</summary>
    private static IReadOnlyDictionary<string, object> InputQueueArguments =>
        TopologyDefinition.For(Consumers.All).Queues.Single(q => q.Name == Messages.InputQueue).Arguments;

    /// <summary>The worker's own topology (what <c>serve</c> declares), plus the harness's queue counting follow-ons.</summary>
    public static async Task PrepareAsync(Uri vhost, bool audit)
    {
        var topology = Topology(audit);
        await using var connection = await new ConnectionFactory { Uri = vhost }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var exchange in topology.Exchanges)
            await channel.ExchangeDeclareAsync(exchange.Name, exchange.Type, exchange.Durable, autoDelete: false);
        foreach (var queue in topology.Queues)
            await channel.QueueDeclareAsync(queue.Name, queue.Durable, exclusive: false, autoDelete: false, arguments: queue.Arguments.ToDictionary(a => a.Key, a => (object?)a.Value));
        foreach (var binding in topology.Bindings)
            await channel.QueueBindAsync(binding.Queue, binding.Exchange, binding.RoutingKey);
        await channel.QueueDeclareAsync(Messages.FollowOnQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.QueueBindAsync(Messages.FollowOnQueue, Destinations.CollectorExchange, Messages.FollowOnType);
    }

    /// <summary>Publishes orders <paramref name="from"/>..+<paramref name="count"/> straight to the action's queue (persistent, confirmed), so only that action sees them.</summary>
    public static async Task PreloadAsync(IConnection connection, string run, int from, int count)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        const int Batch = 500;
        for (var start = from; start < from + count; start += Batch)
        {
            var end = Math.Min(from + count, start + Batch);
            await Task.WhenAll(Enumerable.Range(start, end - start).Select(i => channel.BasicPublishAsync("", Messages.InputQueue, mandatory: true,
                new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = Guid.NewGuid().ToString() }, Messages.OrderConfirmed(run, i)).AsTask()));
        }
    }

    /// <summary>
    /// After the contender left, whatever it had not acknowledged is back in its queue and a late duplicate would show; so: every
    /// queue of the topology empty (input, dead letters, retries, outbox) and exactly one follow-on per message. (The passive declare
    /// counts are exact; <c>rabbitmqctl list_queues</c> figures for quorum queues trail by seconds, so they are not used.)
    /// </summary>
    private static async Task VerifyDrainedAsync(IChannel poll, string contender, int messages, bool audit, string tail)
    {
        var problems = new List<string>();
        foreach (var queue in Topology(audit).Queues.Select(q => q.Name).Where(q => !q.StartsWith("audit.", StringComparison.Ordinal)))
        {
            var left = (await poll.QueueDeclarePassiveAsync(queue)).MessageCount;
            if (left != 0) problems.Add($"{queue}: {left} messages left after the contender stopped");
        }
        var followOns = (await poll.QueueDeclarePassiveAsync(Messages.FollowOnQueue)).MessageCount;
        if (followOns != messages) problems.Add($"{Messages.FollowOnQueue}: {followOns} follow-ons for {messages} messages");
        if (problems.Count > 0) throw new BenchFailure($"{contender} did not drain cleanly: {string.Join("; ", problems)}\n{tail}");
    }

    private static TopologyDefinition Topology(bool audit) => audit ? AuditWorker.WithAudit(TopologyDefinition.For(Consumers.All)) : TopologyDefinition.For(Consumers.All);
}
