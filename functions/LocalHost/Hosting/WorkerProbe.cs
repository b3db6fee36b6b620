using Azure;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Options;

namespace EventProcessors.LocalHost.Hosting;

/// <summary>What <c>/readyz</c> answers: ready, and the reason of each check that failed.</summary>
public sealed record Readiness(bool Ready, IReadOnlyList<string> Problems);

/// <summary>
/// The worker's readiness, checked against the real dependencies: the worker has declared its topology and started its
/// consumers; every queue of that topology exists on the broker (which proves the broker is reachable and the topology is
/// still there after, say, a virtual host was recreated; an MES action on Kafka answers its group's lag, which only a reachable
/// cluster with the topic can); the idempotency table answers. The ready counts read on the way
/// feed <see cref="BacklogTelemetry"/>, so the queue-depth gauge and readiness are one check.
/// </summary>
public sealed class WorkerProbe(EventWorker worker, IMessageTransport transport, ITableServiceClient tables, IOptions<ProcessingOptions> processing,
    IOptions<OperationsOptions> options)
{
    public async Task<Readiness> CheckAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!worker.IsRunning) problems.Add("worker: topology not declared or consumers not started");
        // Each check has the whole timeout: a broker that hangs must not make the store look unreachable too.
        var checks = await Task.WhenAll(Timed(CheckBrokerAsync, cancellationToken), Timed(CheckStorageAsync, cancellationToken)).ConfigureAwait(false);
        problems.AddRange(checks.SelectMany(p => p));
        return new Readiness(problems.Count == 0, problems);
    }

    private async Task<List<string>> Timed(Func<List<string>, CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.ProbeTimeout);
        var problems = new List<string>();
        await check(problems, timeout.Token).ConfigureAwait(false);
        return problems;
    }

    private async Task CheckBrokerAsync(List<string> problems, CancellationToken cancellationToken)
    {
        foreach (var queue in worker.Topology.Queues)
        {
            try
            {
                BacklogTelemetry.ReportQueueReady(queue.Name, await transport.CountAsync(queue.Name, cancellationToken).ConfigureAwait(false));
            }
            catch (QueueNotFoundException)
            {
                problems.Add($"broker: queue {queue.Name} is not declared");
                return;
            }
            catch (NotSupportedException)
            {
                // A queue the transport carries no counterpart of by design (an MES action's dead-letter queue when MES is on Kafka).
            }
            catch (Exception ex)
            {
                problems.Add($"broker: {transport.Name} unreachable, asked for {queue.Name} ({ex.GetType().Name}: {ex.Message})");
                return;
            }
        }
    }

    private async Task CheckStorageAsync(List<string> problems, CancellationToken cancellationToken)
    {
        try
        {
            // A point read of a key that never exists: a reachable store answers "not found" at the cost of one request.
            await tables.GetTableClient(processing.Value.IdempotencyTableName).GetEntityAsync("readiness", "probe", cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException notFound) when (notFound.Status == 404)
        {
            // The service answered (the table is created on first use): reachable.
        }
        catch (Exception ex)
        {
            problems.Add($"storage: unreachable ({ex.GetType().Name}: {ex.Message})");
        }
    }
}
