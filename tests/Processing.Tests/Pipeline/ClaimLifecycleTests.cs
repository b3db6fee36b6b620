using System.Text;
using Azure;
using EventProcessors.Contracts;
using EventProcessors.Processing.Idempotency;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventProcessors.Processing.Tests.Pipeline;

/// <summary>
/// Who holds an event's claim, and for how long (issue 11 points 1-3): failures classified by their root cause, a short
/// lease renewed while the action runs, releasing the claim when completion fails, recognising this instance's own
/// leftovers, and the published marker that stops duplicates at the first hop.
/// </summary>
public sealed class ClaimLifecycleTests
{
    private readonly InMemoryTableServiceClient _tables = new();
    private readonly PipelineHarness _harness;

    public ClaimLifecycleTests() => _harness = new PipelineHarness(_tables);

    [Fact]
    public async Task A_store_outage_wrapped_in_an_AggregateException_is_back_pressure_not_an_attempt()
    {
        // Azure.Core's retry gives up with an AggregateException of its attempts.
        var outage = new AggregateException("Retry failed after 4 tries.",
            new RequestFailedException(503, "Service Unavailable"), new RequestFailedException(0, "connection refused", new HttpRequestException("refused")));
        var pipeline = PipelineOver(new FailingStore(_harness.Store) { OnClaim = () => throw outage });

        var result = await Deliver(pipeline, new ScriptedAction());

        Assert.Equal((ProcessingStatus.Retry, true), (result.Status, result.Unavailable));
    }

    [Fact]
    public async Task A_refused_request_is_an_attempt_not_an_outage()
    {
        var pipeline = PipelineOver(new FailingStore(_harness.Store) { OnClaim = () => throw new RequestFailedException(400, "PropertyValueTooLarge") });

        var result = await Deliver(pipeline, new ScriptedAction());

        Assert.Equal((ProcessingStatus.Retry, false), (result.Status, result.Unavailable));
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(0, true)]
    [InlineData(400, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void Outages_are_recognised_by_their_root_cause_however_deeply_wrapped(int status, bool outage)
    {
        var wrapped = new InvalidOperationException("state store failed",
            new AggregateException(new RequestFailedException(status, "answer")));

        Assert.Equal(outage, Failures.IsOutage(wrapped));
        Assert.True(Failures.IsTransient(wrapped));
        Assert.True(Failures.IsOutage(new AggregateException(new IOException("reset", new System.Net.Sockets.SocketException(104)))));
        Assert.False(Failures.IsTransient(new InvalidOperationException("a bug")));
    }

    [Fact]
    public async Task A_completion_that_fails_transiently_releases_the_claim_so_the_next_delivery_runs_at_once()
    {
        var failures = 0;
        var store = new FailingStore(_harness.Store) { OnComplete = () => { if (failures++ == 0) throw new RequestFailedException(503, "busy"); } };
        var pipeline = PipelineOver(store);
        var action = new ScriptedAction();

        var first = await Deliver(pipeline, action);
        var second = await DeliverElsewhere(action); // another worker: only a release lets it in before the lease expires

        Assert.Equal(ProcessingStatus.Retry, first.Status);
        Assert.Equal(ProcessingStatus.Completed, second.Status);
    }

    [Fact]
    public async Task A_claim_whose_holder_died_is_taken_over_after_the_short_lease()
    {
        var dying = new FailingStore(_harness.Store)
        {
            OnComplete = () => throw new TimeoutException("worker died"),
            FailRelease = () => true,
        };
        var action = new ScriptedAction();

        var crashed = await Deliver(PipelineOver(dying), action);
        var whileLeased = await DeliverElsewhere(action);
        _harness.Time.Advance(new ProcessingOptions().LeaseDuration + TimeSpan.FromSeconds(1)); // the documented default
        var afterLease = await DeliverElsewhere(action);

        Assert.Equal(ProcessingStatus.Retry, crashed.Status);
        Assert.Equal(ProcessingStatus.Retry, whileLeased.Status);
        Assert.True(whileLeased.RetryAfter <= TimeSpan.FromSeconds(30), $"lease wait {whileLeased.RetryAfter}");
        Assert.Equal(ProcessingStatus.Completed, afterLease.Status);
    }

    [Fact]
    public async Task A_claim_this_instance_left_behind_is_taken_over_here_at_once()
    {
        // Completion and release both failed: the record stays Processing under this instance's lease.
        var failing = true;
        var store = new FailingStore(_harness.Store)
        {
            OnComplete = () => { if (failing) throw new TimeoutException("store timed out"); },
            FailRelease = () => failing,
        };
        var pipeline = PipelineOver(store);
        var action = new ScriptedAction();

        var first = await Deliver(pipeline, action);
        failing = false;
        var elsewhere = await DeliverElsewhere(action);
        var here = await Deliver(pipeline, action);

        Assert.Equal(ProcessingStatus.Retry, first.Status);
        Assert.Equal(ProcessingStatus.Retry, elsewhere.Status); // another instance cannot know: it waits for the lease
        Assert.Equal(ProcessingStatus.Completed, here.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // blocks its thread: the renewal must not wait for the action to yield
    public async Task A_long_running_action_keeps_its_lease_and_runs_once(bool synchronous)
    {
        var options = new ProcessingOptions
        {
            IdempotencyTableName = "Idem" + Guid.NewGuid().ToString("N")[..12],
            // The action runs twice the lease; the lease leaves room for renewals delayed by a busy machine (two cores, tests in
            // parallel: a 2 s lease lapsed once in a full run).
            LeaseDuration = TimeSpan.FromSeconds(3),
            LeaseRenewalInterval = TimeSpan.FromMilliseconds(300),
        };
        var holder = new EventPipeline(new TableIdempotencyStore(_tables, Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System),
            Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<EventPipeline>.Instance);
        var rival = new EventPipeline(new TableIdempotencyStore(_tables, Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System),
            Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, NullLogger<EventPipeline>.Instance);
        var action = synchronous
            ? new ScriptedAction((_, run) => { if (run == 1) Thread.Sleep(TimeSpan.FromSeconds(6)); return Task.CompletedTask; })
            : new ScriptedAction(async (_, run) => { if (run == 1) await Task.Delay(TimeSpan.FromSeconds(6)); });

        var running = Task.Run(() => Deliver(holder, action));
        while (action.Runs == 0) await Task.Delay(10); // the holder claimed and runs: now the rival tries
        var rivalResults = new List<ProcessingResult>();
        while (!running.IsCompleted)
        {
            rivalResults.Add(await Deliver(rival, action));
            await Task.Delay(100);
        }
        var held = await running;

        Assert.True(held.Status == ProcessingStatus.Completed, $"{held.Status}: {held.RetryReason}");
        Assert.Equal(1, action.Runs);
        Assert.True(rivalResults.Count > 10, $"{rivalResults.Count} rival deliveries");
        Assert.All(rivalResults, r => Assert.True(r.Status is ProcessingStatus.Retry or ProcessingStatus.Duplicate, r.Status.ToString()));
    }

    [Fact]
    public async Task A_duplicate_of_a_published_outcome_publishes_nothing_and_one_not_yet_published_republishes()
    {
        var action = new ScriptedAction();
        var completed = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-1"), action);
        var beforeMarker = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-1"), action);
        await _harness.Pipeline.ConfirmPublishedAsync(beforeMarker, CancellationToken.None);
        var afterMarker = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-1"), action);

        Assert.True(completed.ShouldPublish);
        Assert.Equal((ProcessingStatus.Duplicate, true), (beforeMarker.Status, beforeMarker.ShouldPublish));
        Assert.Equal(completed.Outcome.Events.Select(e => e.Id), beforeMarker.Outcome.Events.Select(e => e.Id));
        Assert.Equal((ProcessingStatus.Duplicate, false, true), (afterMarker.Status, afterMarker.ShouldPublish, afterMarker.AlreadyPublished));
        Assert.Equal(1, action.Runs);
    }

    [Fact]
    public async Task A_duplicate_of_an_outcome_whose_follow_ons_alone_were_published_hands_over_only_its_records()
    {
        // The Function App publishes follow-ons itself but leaves the rows to an output binding that writes them later.
        var action = new ScriptedAction();
        var completed = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-3"), action);
        await _harness.Pipeline.ConfirmFollowOnsPublishedAsync(completed, CancellationToken.None);
        var duplicate = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-3"), action);
        await _harness.Pipeline.ConfirmPublishedAsync(duplicate, CancellationToken.None);
        var afterBoth = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-3"), action);

        Assert.Equal((1, 1), (completed.Outcome.Events.Count, completed.Outcome.Records.Count));
        Assert.Equal((ProcessingStatus.Duplicate, true, false), (duplicate.Status, duplicate.ShouldPublish, duplicate.AlreadyPublished));
        Assert.Empty(duplicate.Outcome.Events);
        Assert.Equal(completed.Outcome.Records.Select(r => r.Row.GetRawText()), duplicate.Outcome.Records.Select(r => r.Row.GetRawText()));
        Assert.Equal((ProcessingStatus.Duplicate, false), (afterBoth.Status, afterBoth.ShouldPublish));
        Assert.Equal(1, action.Runs);
    }

    [Fact]
    public async Task An_outcome_with_nothing_to_publish_is_marked_at_completion()
    {
        var quiet = new QuietAction();
        var first = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-2"), quiet);
        var duplicate = await _harness.ProcessAsync(PipelineHarness.OrderCreated("ORD-2"), quiet);

        Assert.Equal(ProcessingStatus.Completed, first.Status);
        Assert.Equal((ProcessingStatus.Duplicate, true), (duplicate.Status, duplicate.AlreadyPublished));
    }

    private EventPipeline PipelineOver(IIdempotencyStore store) =>
        new(store, Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time, _harness.Logger);

    /// <summary>Another worker process: its own store instance over the same table.</summary>
    private Task<ProcessingResult> DeliverElsewhere(IConsumerAction action) =>
        Deliver(PipelineOver(new TableIdempotencyStore(_tables, Microsoft.Extensions.Options.Options.Create(_harness.Options), _harness.Time)), action);

    private static Task<ProcessingResult> Deliver(EventPipeline pipeline, IConsumerAction action, string orderNumber = "ORD-2024-001") =>
        pipeline.ProcessAsync(new InboundMessage(Encoding.UTF8.GetBytes(PipelineHarness.OrderCreated(orderNumber))), action, CancellationToken.None);

    /// <summary>Consumes order.created and emits and writes nothing.</summary>
    private sealed class QuietAction : IConsumerAction
    {
        public ConsumerDefinition Definition { get; } =
            new("ReserveStock", "inventory.quiet-" + Guid.NewGuid().ToString("N")[..6], EventBus.Collector, [EventTypes.Collector.OrderCreated]);

        public Task HandleAsync(ActionContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The real store, with failures injected before chosen calls (a stand-in for a store that times out or a worker that dies).</summary>
    private sealed class FailingStore(IIdempotencyStore inner) : IIdempotencyStore
    {
        public Action? OnClaim { get; init; }
        public Action? OnComplete { get; init; }
        /// <summary>Whether the release times out (inside the real store, which then no longer counts the claim as held).</summary>
        public Func<bool>? FailRelease { get; init; }

        public Task<ClaimResult> ClaimAsync(IdempotencyKey key, string eventType, bool rerunDeadLettered = false, CancellationToken cancellationToken = default)
        {
            OnClaim?.Invoke();
            return inner.ClaimAsync(key, eventType, rerunDeadLettered, cancellationToken);
        }

        public Task<IdempotencyClaim?> RenewAsync(IdempotencyClaim claim, CancellationToken cancellationToken = default) => inner.RenewAsync(claim, cancellationToken);

        public Task<bool> CompleteAsync(IdempotencyClaim claim, ProcessingOutcome outcome, CancellationToken cancellationToken = default)
        {
            OnComplete?.Invoke();
            return inner.CompleteAsync(claim, outcome, cancellationToken);
        }

        public Task MarkPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => inner.MarkPublishedAsync(key, cancellationToken);
        public Task MarkFollowOnsPublishedAsync(IdempotencyKey key, CancellationToken cancellationToken = default) => inner.MarkFollowOnsPublishedAsync(key, cancellationToken);

        public Task ReleaseAsync(IdempotencyClaim claim, string error, CancellationToken cancellationToken = default) =>
            inner.ReleaseAsync(claim, error, FailRelease?.Invoke() == true ? new CancellationToken(canceled: true) : cancellationToken);

        public Task DeadLetterAsync(IdempotencyClaim claim, EventError error, CancellationToken cancellationToken = default) => inner.DeadLetterAsync(claim, error, cancellationToken);

        public Task<int> SweepAsync(CancellationToken cancellationToken = default) => inner.SweepAsync(cancellationToken);
    }
}
