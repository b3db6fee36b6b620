using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging;

namespace EventProcessors.LocalHost.Transport.Kafka;

/// <summary>
/// One action's consumer: consumer group <see cref="Queue"/> on its topic (<see cref="KafkaOptions.Topic"/>, or the dead-letter topic for
/// the audit of dead letters), offsets committed by hand.
/// <list type="bullet">
/// <item>Order: records of one key (the entity id) run one after the other, in offset order; different keys and partitions run in
/// parallel, at most <c>prefetch</c> handlers at once (<c>LocalHost__Prefetch</c>).</item>
/// <item>Back-pressure: a partition starts at most <see cref="KafkaOptions.MaxInFlightPerPartition"/> records past its committed offset;
/// records fetched beyond wait in a buffer, and with <see cref="KafkaOptions.MaxBufferedPerPartition"/> waiting that partition is paused,
/// resumed once half of them started.</item>
/// <item>Commits: only the offset after the longest settled prefix of each partition, so an offset is never committed past a record
/// that is not settled (its outcome recorded and follow-ons acknowledged, or its dead letter produced).</item>
/// <item>A delivery the handler requeues (storage or broker down after the pipeline's own retries, shutdown) runs again in place after
/// a backoff, holding up only its key (and its partition's commits): it is never skipped.</item>
/// <item>Rebalances (KIP-848 or cooperative): a revoked partition starts nothing new, its running records get
/// <see cref="KafkaOptions.RevokeDrainTimeout"/> to settle, the settled prefix is committed, the rest is abandoned uncommitted for its
/// next owner. Lost partitions are abandoned at once. Newly assigned ones resume from the committed offset.</item>
/// <item>Lag: every <see cref="KafkaOptions.LagInterval"/> each assigned partition's lag (<see cref="ConsumerLag"/>) goes to the
/// <c>eventprocessors.consumer.lag</c> gauge; a partition that leaves this consumer is taken off it.</item>
/// </list>
/// Every consumer call runs on the subscription's own poll thread; handlers report settlements to it through a queue.
/// </summary>
internal sealed class KafkaSubscription : ISubscription
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan BufferedPollTimeout = TimeSpan.FromMilliseconds(5);

    private readonly KafkaTransport _transport;
    private readonly KafkaOptions _options;
    private readonly Func<Delivery, CancellationToken, Task> _handler;
    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _concurrency;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    private readonly ConcurrentQueue<(PartitionState Partition, long Offset)> _settled = new();
    private readonly ManualResetEventSlim _settledSignal = new(); // not disposed: a late handler may still set it (it holds no kernel handle)
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _sinceCommit = Stopwatch.StartNew();
    private readonly IAdminClient? _admin;
    private readonly Stopwatch _sinceLag = Stopwatch.StartNew();
    private Task<IReadOnlyDictionary<TopicPartition, long>>? _lag;
    private TimeSpan _stopDrainTimeout;
    private Thread? _thread;
    private volatile bool _closing;
    private volatile bool _aborted;

    public KafkaSubscription(KafkaTransport transport, string topic, string group, int prefetch, Func<Delivery, CancellationToken, Task> handler, ILogger logger)
    {
        _transport = transport;
        _topic = topic;
        _options = transport.Options;
        _handler = handler;
        _logger = logger;
        Queue = group;
        _concurrency = new SemaphoreSlim(Math.Max(1, prefetch));
        var config = new ConsumerConfig(_options.ClientConfig())
        {
            GroupId = group,
            ClientId = $"{_options.ClientId}.{group}",
            GroupProtocol = _options.GroupProtocol,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = _options.AutoOffsetReset,
        };
        if (_options.GroupProtocol == GroupProtocol.Classic) config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        _consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((_, partitions) => OnLost(partitions.Select(p => p.TopicPartition)))
            .SetErrorHandler((_, error) => _logger.Log(error.IsFatal ? LogLevel.Error : LogLevel.Warning, "Kafka consumer {Group}: {Reason} ({Code})", group, error.Reason, error.Code))
            .SetLogHandler((_, log) => KafkaTransport.Log(_logger, log))
            .Build();
        // Shares the consumer's connections; its requests complete on their own, never on the poll thread.
        if (_options.LagInterval > TimeSpan.Zero) _admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
    }

    /// <summary>The consumer group (the action's queue name, as Consumers.cs names it).</summary>
    public string Queue { get; }

    /// <summary>The topic the group reads.</summary>
    public string Topic => _topic;

    public void Start()
    {
        _consumer.Subscribe(_topic);
        _thread = new Thread(Run) { IsBackground = true, Name = "kafka " + Queue };
        _thread.Start();
    }

    public async Task StopAsync(TimeSpan drainTimeout)
    {
        if (_closing) { await _finished.Task.ConfigureAwait(false); return; }
        _stopDrainTimeout = drainTimeout;
        _closing = true;
        await _finished.Task.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

    /// <summary>
    /// Ends as a killed process would: handlers are cancelled, nothing more is committed, and the group is not told (the consumer is
    /// disposed without closing), so the partitions move only once the group's session times out.
    /// </summary>
    public async Task AbortAsync()
    {
        _aborted = true;
        _closing = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _finished.Task.ConfigureAwait(false);
    }

    private void Run()
    {
        try
        {
            while (!_closing)
            {
                _settledSignal.Reset();
                ApplySettlements();
                if (_sinceCommit.Elapsed >= _options.CommitInterval) Commit(_partitions.Values);
                var (waiting, paused) = StartBuffered();
                ReportLag();
                // Buffered records start as soon as records settle, not after a fetch wait: with every partition paused there is nothing
                // to fetch, so the loop waits for a settlement; with records waiting, it polls briefly.
                var allPaused = paused > 0 && paused == _partitions.Count;
                if (allPaused) _settledSignal.Wait(PollTimeout);
                ConsumeResult<byte[]?, byte[]?>? record;
                try
                {
                    record = _consumer.Consume(allPaused ? TimeSpan.Zero : waiting > 0 ? BufferedPollTimeout : PollTimeout);
                }
                catch (ConsumeException e)
                {
                    _logger.LogWarning("Kafka consumer {Group} could not fetch: {Reason}", Queue, e.Error.Reason);
                    if (e.Error.IsFatal) break;
                    continue;
                }
                if (record is { IsPartitionEOF: false }) Accept(record);
            }
            if (!_aborted)
            {
                // Shutdown: nothing new starts, in-flight records get the drain timeout, the settled prefix is committed.
                Release(_partitions.Keys.ToArray(), _stopDrainTimeout, commit: true);
                _consumer.Close();
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Kafka consumer {Group} stopped; its uncommitted records will be consumed again.", Queue);
        }
        finally
        {
            _stopping.Cancel();
            foreach (var partition in _partitions.Keys) ForgetLag(partition);
            _admin?.Dispose();
            _consumer.Dispose();
            _finished.TrySetResult();
        }
    }

    private void Accept(ConsumeResult<byte[]?, byte[]?> record)
    {
        if (!_partitions.TryGetValue(record.TopicPartition, out var partition)) return;
        if (partition.Window < _options.MaxInFlightPerPartition && partition.Buffered == 0)
        {
            Start(partition, record);
            return;
        }
        partition.Buffer(record);
        if (partition.Buffered >= _options.MaxBufferedPerPartition) Pause(partition);
    }

    private void Start(PartitionState partition, ConsumeResult<byte[]?, byte[]?> record)
    {
        partition.Track(record.Offset.Value);
        // A lane per key; a record without a key has no order to keep and a lane of its own.
        var lane = record.Message.Key is { } key ? Convert.ToBase64String(key) : "offset:" + record.Offset.Value;
        if (partition.Enqueue(lane, record)) _ = Task.Run(() => RunLaneAsync(partition, lane));
    }

    /// <summary>
    /// librdkafka drops a paused partition's fetched records and resumes from the last one consumed, so the buffered records (all consumed)
    /// are kept here and resumption continues after them.
    /// </summary>
    private void Pause(PartitionState partition)
    {
        if (partition.Paused) return;
        _consumer.Pause([partition.TopicPartition]);
        partition.Paused = true;
    }

    /// <summary>
    /// Starts buffered records as far as each partition's window allows, and resumes a paused partition once half its buffer has started
    /// (a resumed partition takes librdkafka up to a second to fetch again: the other half covers it). Returns how many partitions
    /// still have records waiting, and how many stay paused.
    /// </summary>
    private (int Waiting, int Paused) StartBuffered()
    {
        var (waiting, paused) = (0, 0);
        foreach (var partition in _partitions.Values)
        {
            while (partition.Buffered > 0 && partition.Window < _options.MaxInFlightPerPartition) Start(partition, partition.Unbuffer());
            if (partition.Buffered > 0) waiting++;
            if (!partition.Paused) continue;
            if (partition.Buffered > _options.MaxBufferedPerPartition / 2) { paused++; continue; }
            _consumer.Resume([partition.TopicPartition]);
            partition.Paused = false;
        }
        return (waiting, paused);
    }

    /// <summary>Runs the records of one key in order, until none is left or the partition goes away.</summary>
    private async Task RunLaneAsync(PartitionState partition, string lane)
    {
        while (partition.TryStartNext(lane, out var record))
        {
            bool settled;
            try
            {
                settled = await ProcessAsync(partition, record).ConfigureAwait(false);
            }
            finally
            {
                partition.Finished();
            }
            if (!settled || !partition.CompleteHead(lane)) return;
        }
    }

    /// <summary>Hands the record to the handler until it is settled; false when the partition was revoked or the consumer stopped first.</summary>
    private async Task<bool> ProcessAsync(PartitionState partition, ConsumeResult<byte[]?, byte[]?> record)
    {
        var token = partition.Token;
        for (var redeliveries = 0; ; redeliveries++)
        {
            try
            {
                await _concurrency.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            var delivery = new KafkaDelivery(_transport, Queue, record, redelivered: redeliveries > 0);
            try
            {
                await _handler(delivery, token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Handler of {Group} failed on {Offset}; it runs again.", Queue, record.TopicPartitionOffset);
            }
            finally
            {
                _concurrency.Release();
            }
            if (delivery.Acknowledged)
            {
                _settled.Enqueue((partition, record.Offset.Value));
                _settledSignal.Set();
                return true;
            }
            try
            {
                await Task.Delay(RetryBackoff.Delay(_options.RedeliveryBaseDelay, redeliveries + 1, _options.RedeliveryMaxDelay), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    private void ApplySettlements()
    {
        while (_settled.TryDequeue(out var settled))
            if (_partitions.TryGetValue(settled.Partition.TopicPartition, out var current) && ReferenceEquals(current, settled.Partition))
                current.Settle(settled.Offset);
    }

    private void Commit(IEnumerable<PartitionState> partitions)
    {
        _sinceCommit.Restart();
        var offsets = partitions.Where(p => p.CommitPending).Select(p => new TopicPartitionOffset(p.TopicPartition, p.CommitOffset)).ToList();
        if (offsets.Count == 0) return;
        try
        {
            _consumer.Commit(offsets);
            foreach (var offset in offsets) _partitions[offset.TopicPartition].Committed(offset.Offset.Value);
        }
        catch (KafkaException e)
        {
            // Broker or coordinator unreachable: the offsets are committed on a later try; until then a restart replays them.
            _logger.LogDebug("Commit of {Group} failed ({Reason}); retrying.", Queue, e.Error.Reason);
        }
    }

    /// <summary>Reports the last lag query's answer for the partitions still assigned, and starts the next one when it is due.</summary>
    private void ReportLag()
    {
        if (_lag is { IsCompleted: true } done)
        {
            _lag = null;
            if (done.IsCompletedSuccessfully)
            {
                foreach (var (partition, lag) in done.Result)
                    if (_partitions.ContainsKey(partition)) BacklogTelemetry.ReportConsumerLag(Queue, partition.Topic, partition.Partition.Value, lag);
            }
            else
            {
                _logger.LogDebug(done.Exception?.GetBaseException(), "Lag of {Group} could not be read; the next interval tries again.", Queue);
            }
        }
        if (_admin is null || _lag is not null || _partitions.Count == 0 || _sinceLag.Elapsed < _options.LagInterval) return;
        _sinceLag.Restart();
        _lag = ConsumerLag.QueryAsync(_admin, Queue, [.. _partitions.Keys], _options.AutoOffsetReset, LagTimeout);
    }

    /// <summary>How long one lag query may take; the next starts only after it answered or timed out.</summary>
    private static readonly TimeSpan LagTimeout = ConsumerLag.RequestTimeout;

    private void ForgetLag(TopicPartition partition) => BacklogTelemetry.ForgetConsumerLag(Queue, partition.Topic, partition.Partition.Value);

    private void OnAssigned(IEnumerable<TopicPartition> partitions)
    {
        foreach (var topicPartition in partitions)
        {
            if (_partitions.Remove(topicPartition, out var stale)) stale.Abandon();
            _partitions[topicPartition] = new PartitionState(topicPartition, _stopping.Token);
        }
        _logger.LogInformation("{Group} assigned {Partitions}", Queue, string.Join(", ", partitions.Select(p => p.Partition.Value)));
    }

    private void OnRevoked(IEnumerable<TopicPartition> partitions)
    {
        var revoked = partitions.ToArray();
        Release(revoked, _closing ? _stopDrainTimeout : _options.RevokeDrainTimeout, commit: true);
        _logger.LogInformation("{Group} revoked {Partitions}", Queue, string.Join(", ", revoked.Select(p => p.Partition.Value)));
    }

    private void OnLost(IEnumerable<TopicPartition> partitions)
    {
        var lost = partitions.ToArray();
        Release(lost, TimeSpan.Zero, commit: false);
        _logger.LogWarning("{Group} lost {Partitions}; their unsettled records go to their next owner.", Queue, string.Join(", ", lost.Select(p => p.Partition.Value)));
    }

    /// <summary>Stops the partitions, lets their running records settle for up to <paramref name="drain"/>, commits what settled, abandons the rest.</summary>
    private void Release(IReadOnlyCollection<TopicPartition> topicPartitions, TimeSpan drain, bool commit)
    {
        var released = topicPartitions.Select(tp => _partitions.GetValueOrDefault(tp)).OfType<PartitionState>().ToArray();
        foreach (var partition in released) partition.Revoke();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < drain && released.Any(p => p.Running > 0)) Thread.Sleep(10);
        foreach (var partition in released) partition.Abandon();
        ApplySettlements();
        if (commit) Commit(released);
        foreach (var partition in released)
        {
            // A pause would outlive the assignment in librdkafka: the partition's next assignment must fetch.
            if (partition.Paused) _consumer.Resume([partition.TopicPartition]);
            _partitions.Remove(partition.TopicPartition);
            ForgetLag(partition.TopicPartition);
        }
    }

    /// <summary>One assigned partition: its key lanes, and the offsets between its commit point and the last record taken.</summary>
    private sealed class PartitionState(TopicPartition topicPartition, CancellationToken stopping)
    {
        private readonly object _gate = new();
        private readonly CancellationTokenSource _abandon = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private readonly Dictionary<string, Queue<ConsumeResult<byte[]?, byte[]?>>> _lanes = new(StringComparer.Ordinal);
        private readonly Queue<long> _order = new();
        private readonly Queue<ConsumeResult<byte[]?, byte[]?>> _buffered = new();
        private readonly HashSet<long> _settledAhead = [];
        private long _committed = -1;
        private bool _revoked;
        private int _running;

        public TopicPartition TopicPartition { get; } = topicPartition;
        public CancellationToken Token => _abandon.Token;
        public bool Paused { get; set; }

        /// <summary>Records taken and not yet behind the commit point (poll thread).</summary>
        public int Window => _order.Count;

        /// <summary>Records whose handler is running or about to run.</summary>
        public int Running => Volatile.Read(ref _running);

        public long CommitOffset { get; private set; } = -1;
        public bool CommitPending => CommitOffset > _committed;

        public void Track(long offset) => _order.Enqueue(offset);

        /// <summary>Records fetched past the window, in offset order, waiting to start (poll thread).</summary>
        public int Buffered => _buffered.Count;

        public void Buffer(ConsumeResult<byte[]?, byte[]?> record) => _buffered.Enqueue(record);

        public ConsumeResult<byte[]?, byte[]?> Unbuffer() => _buffered.Dequeue();

        /// <summary>Adds the record to its lane; true when that lane was idle and needs a runner.</summary>
        public bool Enqueue(string lane, ConsumeResult<byte[]?, byte[]?> record)
        {
            lock (_gate)
            {
                if (_lanes.TryGetValue(lane, out var queue))
                {
                    queue.Enqueue(record);
                    return false;
                }
                _lanes[lane] = new Queue<ConsumeResult<byte[]?, byte[]?>>([record]);
                return true;
            }
        }

        /// <summary>The lane's next record, counted as running; false once the lane is empty or the partition revoked (the lane then ends).</summary>
        public bool TryStartNext(string lane, out ConsumeResult<byte[]?, byte[]?> record)
        {
            lock (_gate)
            {
                if (!_revoked && _lanes.TryGetValue(lane, out var queue) && queue.Count > 0)
                {
                    record = queue.Peek();
                    _running++;
                    return true;
                }
                record = null!;
                return false;
            }
        }

        public void Finished() => Interlocked.Decrement(ref _running);

        /// <summary>Takes the settled record off its lane; false when the lane is now empty (and removed) so its runner ends.</summary>
        public bool CompleteHead(string lane)
        {
            lock (_gate)
            {
                if (!_lanes.TryGetValue(lane, out var queue)) return false;
                queue.Dequeue();
                if (queue.Count > 0) return true;
                _lanes.Remove(lane);
                return false;
            }
        }

        /// <summary>Marks a settled offset and moves the commit point past every settled record at the front (poll thread).</summary>
        public void Settle(long offset)
        {
            _settledAhead.Add(offset);
            while (_order.Count > 0 && _settledAhead.Remove(_order.Peek())) CommitOffset = _order.Dequeue() + 1;
        }

        public void Committed(long offset) => _committed = Math.Max(_committed, offset);

        public void Revoke()
        {
            lock (_gate) _revoked = true;
        }

        public void Abandon()
        {
            Revoke();
            _abandon.Cancel();
        }
    }
}
