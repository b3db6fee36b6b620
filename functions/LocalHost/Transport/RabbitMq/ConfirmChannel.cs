using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace EventProcessors.LocalHost.Transport.RabbitMq;

/// <summary>
/// One publishing channel in confirm mode, shared by every handler of the connection, with the confirms tracked here
/// rather than by the client: the client's tracking puts its <c>x-dotnet-pub-seq-no</c> header on every message, and
/// per-call channels keep the broker from coalescing confirms. Each publish gets the channel's next sequence number
/// and a task that completes when the broker acks it (one <c>basic.ack</c> with <c>multiple</c> confirms many),
/// fails with <see cref="BrokerUnavailableException"/> when it nacks, and fails with the shutdown reason when the
/// channel closes first: nothing unconfirmed is ever reported as published. A closed channel is not reused (after a
/// recovery the broker numbers confirms afresh); the transport opens a new one.
/// </summary>
internal sealed class ConfirmChannel : IAsyncDisposable
{
    private readonly IChannel _channel;
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private readonly Lock _gate = new();
    private readonly SortedDictionary<ulong, TaskCompletionSource> _pending = [];
    private Exception? _lost;

    private ConfirmChannel(IChannel channel)
    {
        _channel = channel;
        channel.BasicAcksAsync += (_, args) => Settle(args.DeliveryTag, args.Multiple, null);
        channel.BasicNacksAsync += (_, args) => Settle(args.DeliveryTag, args.Multiple,
            new BrokerUnavailableException("RabbitMQ refused the message (basic.nack).", new InvalidOperationException($"nack of publish {args.DeliveryTag}")));
        channel.ChannelShutdownAsync += (_, args) =>
        {
            Lose(new AlreadyClosedException(args));
            return Task.CompletedTask;
        };
    }

    public static async Task<ConfirmChannel> OpenAsync(IConnection connection, CancellationToken cancellationToken) =>
        new(await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false), cancellationToken).ConfigureAwait(false));

    /// <summary>Open and not lost: new publishes may go here.</summary>
    public bool IsUsable
    {
        get
        {
            lock (_gate) return _lost is null && _channel.IsOpen;
        }
    }

    /// <summary>Publishes; the returned task completes once the broker confirmed this message.</summary>
    public async Task<Task> PublishAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        // The sequence number and the publish must not interleave with another publish on this channel.
        await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var sequence = await _channel.GetNextPublishSequenceNumberAsync(cancellationToken).ConfigureAwait(false);
            var confirmed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_lost is not null) throw _lost;
                _pending.Add(sequence, confirmed);
            }
            try
            {
                await _channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_gate) _pending.Remove(sequence);
                throw;
            }
            return confirmed.Task;
        }
        finally
        {
            _publishing.Release();
        }
    }

    private Task Settle(ulong tag, bool multiple, Exception? nack)
    {
        if (!multiple)
        {
            TaskCompletionSource? one;
            lock (_gate) _pending.Remove(tag, out one);
            if (one is not null) Complete(one, nack);
            return Task.CompletedTask;
        }
        List<KeyValuePair<ulong, TaskCompletionSource>> settled = [];
        lock (_gate)
        {
            // Every publish up to the tag (the dictionary is ordered by sequence number).
            foreach (var pending in _pending)
            {
                if (pending.Key > tag) break;
                settled.Add(pending);
            }
            foreach (var (sequence, _) in settled) _pending.Remove(sequence);
        }
        foreach (var (_, confirm) in settled) Complete(confirm, nack);
        return Task.CompletedTask;
    }

    private static void Complete(TaskCompletionSource confirm, Exception? nack)
    {
        if (nack is null) confirm.TrySetResult();
        else confirm.TrySetException(nack);
    }

    private void Lose(Exception reason)
    {
        TaskCompletionSource[] unconfirmed;
        lock (_gate)
        {
            _lost ??= reason;
            unconfirmed = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var confirm in unconfirmed) confirm.TrySetException(reason);
    }

    public async ValueTask DisposeAsync()
    {
        Lose(new AlreadyClosedException(new ShutdownEventArgs(ShutdownInitiator.Application, 200, "publisher closed")));
        try
        {
            if (_channel.IsOpen) await _channel.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The channel or its connection is already closed; nothing to give back.
        }
        _channel.Dispose();
        _publishing.Dispose();
    }
}
