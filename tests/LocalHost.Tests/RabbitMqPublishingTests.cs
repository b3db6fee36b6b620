using System.Text;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.TestSupport;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace EventProcessors.LocalHost.Tests;

/// <summary>Publishing with confirms over the shared publishing channel, against the real broker (a fresh virtual host per test).</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqPublishingTests(RabbitMqFixture rabbit) : IAsyncLifetime
{
    private RabbitVirtualHost? _vhost;
    private RabbitMqTransport? _transport;

    private RabbitMqTransport Transport => _transport!;

    public async Task InitializeAsync()
    {
        _vhost = await rabbit.CreateVirtualHostAsync("publish");
        _transport = await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = _vhost.Uri, ConnectTimeout = TimeSpan.FromSeconds(10) });
    }

    public async Task DisposeAsync()
    {
        if (_transport is not null) await _transport.DisposeAsync();
        if (_vhost is not null) await _vhost.DisposeAsync();
    }

    [Fact]
    public async Task A_follow_on_goes_on_the_wire_with_its_own_properties_and_headers_only()
    {
        await DeclareQueueAsync("clean");
        var followOn = new CloudEvent
        {
            Id = "e-1", Source = "test", Type = EventTypes.Collector.DeliveryNoteCreated, CorrelationId = "corr-1",
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            Data = System.Text.Json.JsonSerializer.SerializeToElement(new { deliveryNoteId = "dn-1" }),
        };

        await Transport.PublishAsync("", "clean", OutboundMessage.From(followOn), CancellationToken.None);

        var raw = await GetRawAsync("clean");
        Assert.Equal("e-1", raw.BasicProperties.MessageId);
        Assert.Equal(CloudEvent.JsonContentType, raw.BasicProperties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, raw.BasicProperties.DeliveryMode);
        var headers = raw.BasicProperties.Headers ?? new Dictionary<string, object?>();
        Assert.DoesNotContain(Constants.PublishSequenceNumberHeader, headers.Keys);
        Assert.Equal(["traceparent"], headers.Keys.Order());
    }

    [Fact]
    public async Task Concurrent_publishes_share_one_channel_and_each_returns_only_once_confirmed()
    {
        await DeclareQueueAsync("many");
        const int messages = 400;

        await Task.WhenAll(Enumerable.Range(0, messages).Select(i => Task.Run(() =>
            Transport.PublishAsync("", "many", new OutboundMessage(Encoding.UTF8.GetBytes($"m-{i}"), MessageId: $"m-{i}"), CancellationToken.None))));

        Assert.Equal((uint)messages, await Transport.CountAsync("many", CancellationToken.None));
        var channels = await RabbitMqFixture.RabbitCtlAsync("list_channels", "vhost", "confirm", "--no-table-headers", "--quiet");
        var ours = channels.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.Trim() == _vhost!.Name + "\ttrue");
        Assert.Equal(1, ours);
    }

    [Fact]
    public async Task A_publish_the_broker_refuses_fails_as_back_pressure_and_later_publishes_still_confirm()
    {
        // A queue that rejects publishes beyond one message: the broker nacks the second.
        await DeclareQueueAsync("full", new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish" });
        await DeclareQueueAsync("roomy");

        await Transport.PublishAsync("", "full", new OutboundMessage(Encoding.UTF8.GetBytes("first")), CancellationToken.None);
        await Assert.ThrowsAsync<BrokerUnavailableException>(() =>
            Transport.PublishAsync("", "full", new OutboundMessage(Encoding.UTF8.GetBytes("second")), CancellationToken.None));
        await Transport.PublishAsync("", "roomy", new OutboundMessage(Encoding.UTF8.GetBytes("third")), CancellationToken.None);

        Assert.Equal(1u, await Transport.CountAsync("full", CancellationToken.None));
        Assert.Equal(1u, await Transport.CountAsync("roomy", CancellationToken.None));
    }

    [Fact]
    public async Task A_publish_whose_channel_the_broker_closes_fails_and_the_next_one_gets_a_new_channel()
    {
        await DeclareQueueAsync("after");

        // Publishing to a missing exchange makes the broker close the channel (404): the publish is not confirmed.
        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() =>
            Transport.PublishAsync("no-such-exchange", "x", new OutboundMessage(Encoding.UTF8.GetBytes("lost")), CancellationToken.None));
        Assert.Equal((ushort)404, refused.ShutdownReason?.ReplyCode ?? 0);
        await Transport.PublishAsync("", "after", new OutboundMessage(Encoding.UTF8.GetBytes("kept")), CancellationToken.None);

        Assert.Equal("kept", Encoding.UTF8.GetString((await GetRawAsync("after")).Body.Span));
    }

    private async Task DeclareQueueAsync(string queue, Dictionary<string, object?>? arguments = null)
    {
        await using var channel = await Transport.Connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments);
    }

    private async Task<BasicGetResult> GetRawAsync(string queue)
    {
        await using var channel = await Transport.Connection.CreateChannelAsync();
        return await channel.BasicGetAsync(queue, autoAck: true) ?? throw new InvalidOperationException($"{queue} is empty.");
    }
}
