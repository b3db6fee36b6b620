using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.TestSupport;

namespace EventProcessors.Chaos.Tests;

/// <summary>
/// Found by the ledger: a worker (re)started while the broker restarted failed its start (<c>basic.qos</c> on a connection the
/// broker had just closed) and exited. Declaring and subscribing now wait for the connection to recover, as publishing does.
/// </summary>
public sealed class BrokerRestartStartTests
{
    [Fact]
    public async Task Declaring_and_subscribing_while_the_broker_restarts_wait_for_it_and_then_consume()
    {
        await using var broker = await PrivateRabbitMq.StartAsync();
        await using var transport = await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = broker.Uri, NetworkRecoveryInterval = TimeSpan.FromMilliseconds(500) });
        var topology = new TopologyDefinition([],
            [new QueueDefinition("start.during-restart", new Dictionary<string, object> { ["x-queue-type"] = "quorum" }, Durable: true)], []);

        var restart = broker.RestartAsync(TimeSpan.FromSeconds(4));
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (transport.Connection.IsOpen && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.False(transport.Connection.IsOpen, "the broker restart did not close the connection");

        // Both calls happen while the broker is down; they return once it is back.
        var received = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await transport.DeclareAsync(topology, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        await using var subscription = await transport.SubscribeAsync("start.during-restart", 1, async (delivery, _) =>
        {
            await delivery.AckAsync();
            received.TrySetResult(delivery.Message.MessageId);
        }, CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        await restart;

        await transport.PublishAsync("", "start.during-restart", new OutboundMessage("{}"u8.ToArray(), "application/json", "after-restart"), CancellationToken.None);
        Assert.Equal("after-restart", await received.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
