using System.Text;
using EventProcessors.Contracts;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.FunctionApp.Operations;
using EventProcessors.FunctionApp.Orders;
using EventProcessors.Processing.Idempotency;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using RabbitMQ.Client;
using static EventProcessors.FunctionApp.Tests.FunctionHost;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>RouteOutbox against the real RabbitMQ (RABBITMQ_URI, default guest on 127.0.0.1:5672), and the sweep.</summary>
public sealed class OperationsFunctionTests : IAsyncDisposable
{
    private readonly ServiceProvider _services = Services();

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task RouteOutbox_republishes_to_the_exchange_with_routing_key_type_message_id_and_content_type()
    {
        // A real follow-on, as CreateOrderFromOffer wrote it to the outbox.
        var created = await _services.Collect(() => _services.Function<CreateOrderFromOfferFunction>()
            .RunAsync(CollectorEvents.OfferApproved(NewTenant()), Context()));
        var outboxMessage = Assert.Single(created.Outbox!);
        var (id, type) = RouteOutboxFunction.Read(outboxMessage);
        var factory = new ConnectionFactory { Uri = new Uri(Environment.GetEnvironmentVariable("RABBITMQ_URI") ?? "amqp://guest:guest@127.0.0.1:5672/") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("collector-events", ExchangeType.Topic, durable: true);
        var probe = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(probe, "collector-events", type);

        // RouteOutbox with the real confirmed publisher (the other functions here record what they publish).
        await using var routing = Services(s => s.AddSingleton<IConfirmedPublisher, RabbitMQConfirmedPublisher>());
        await routing.Function<RouteOutboxFunction>().RunAsync(outboxMessage, Context());

        var delivered = await Poll(channel, probe);
        Assert.Equal(type, delivered.RoutingKey);
        Assert.Equal("collector-events", delivered.Exchange);
        Assert.Equal(id, delivered.BasicProperties.MessageId);
        Assert.Equal(CloudEvent.JsonContentType, delivered.BasicProperties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, delivered.BasicProperties.DeliveryMode);
        Assert.Equal(outboxMessage, Encoding.UTF8.GetString(delivered.Body.Span));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"order.created"}""")]
    public async Task RouteOutbox_throws_on_a_message_that_is_no_CloudEvent_so_it_ends_in_the_dead_letter_queue(string message)
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _services.Function<RouteOutboxFunction>().RunAsync(message, Context()));
    }

    [Fact]
    public async Task SweepIdempotencyRecords_sweeps_the_idempotency_store_once_per_run()
    {
        var store = new Mock<IIdempotencyStore>();
        store.Setup(s => s.SweepAsync(It.IsAny<CancellationToken>())).ReturnsAsync(3);
        await using var services = Services(s => s.AddSingleton(store.Object));

        await services.Function<SweepIdempotencyRecordsFunction>().RunAsync(new TimerInfo { IsPastDue = true }, Context());

        store.Verify(s => s.SweepAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    private static async Task<BasicGetResult> Poll(IChannel channel, string queue)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } result) return result;
            await Task.Delay(100);
        }
        throw new TimeoutException($"Nothing arrived on {queue}.");
    }
}
