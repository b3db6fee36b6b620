using System.Globalization;
using EventProcessors.Bench.Harness;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventProcessors.Bench.MassTransit;

/// <summary>
/// Contender C: MassTransit 8.5.12 (the last Apache-2.0 line; 9.x needs a paid licence) on RabbitMQ, reading the same raw JSON
/// messages from the same quorum queue (declared with the worker's arguments, so MassTransit binds to it as it is) and sending
/// one raw JSON follow-on to <c>collector-events</c> with the routing key <c>delivery.note.created</c>. MassTransit publishes with
/// confirms and acknowledges after the consumer (and its sends) completed. With <paramref name="inboxOutbox"/> the consumer runs
/// behind MassTransit's in-memory inbox and outbox: duplicates by message id are skipped, and the follow-on is sent only once
/// the consumer finished. It writes no records and keeps no state beyond memory: less than the worker does.
/// </summary>
public static class MassTransitContender
{
    /// <summary><c>--uri amqp://... --prefetch 64 [--inbox] --queue-argument name=value ...</c> (the queue's arguments, as the harness declared it).</summary>
    public static async Task<int> Main(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != "--" + name).Skip(1).FirstOrDefault();
        var uri = new Uri(Value("uri") ?? throw new ArgumentException("--uri is required."));
        var prefetch = int.Parse(Value("prefetch") ?? "64", CultureInfo.InvariantCulture);
        var arguments = args.Select((a, i) => (a, i)).Where(p => p.a == "--queue-argument" && p.i + 1 < args.Length)
            .Select(p => args[p.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => (object)(int.TryParse(kv[1], CultureInfo.InvariantCulture, out var n) ? n : kv[1]));
        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            await Console.In.ReadLineAsync();
            await stop.CancelAsync();
        });
        await RunAsync(uri, prefetch, args.Contains("--inbox"), arguments, stop.Token);
        return 0;
    }

    public static async Task RunAsync(Uri uri, int prefetch, bool inboxOutbox, IReadOnlyDictionary<string, object> queueArguments, CancellationToken stop)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        var user = uri.UserInfo.Split(':');
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } path ? path : "/";
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<CreateDeliveryNoteConsumer>();
            if (inboxOutbox) x.AddInMemoryInboxOutbox();
            x.UsingRabbitMq((context, bus) =>
            {
                bus.Host(uri.Host, (ushort)(uri.IsDefaultPort ? 5672 : uri.Port), vhost, h =>
                {
                    h.Username(Uri.UnescapeDataString(user[0]));
                    h.Password(user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "");
                    h.PublisherConfirmation = true;
                });
                bus.UseRawJsonSerializer(isDefault: true);
                bus.ReceiveEndpoint(Messages.InputQueue, e =>
                {
                    e.ConfigureConsumeTopology = false;
                    e.PrefetchCount = prefetch;
                    e.ConcurrentMessageLimit = prefetch;
                    // The queue exists with the worker's arguments; declaring it with others would be refused.
                    foreach (var (name, value) in queueArguments)
                        if (name != "x-queue-type") e.SetQueueArgument(name, value);
                    e.SetQuorumQueue();
                    if (inboxOutbox) e.UseInMemoryInboxOutbox(context);
                    e.ConfigureConsumer<CreateDeliveryNoteConsumer>(context);
                });
            });
        });
        using var host = builder.Build();
        await host.StartAsync(stop);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
            // Asked to stop.
        }
        await host.StopAsync(CancellationToken.None);
    }

    private static readonly Uri FollowOns = new($"exchange:{Messages.CollectorExchange}?type=topic&durable=true");

    public sealed class CreateDeliveryNoteConsumer : IConsumer<OrderConfirmedMessage>
    {
        public async Task Consume(ConsumeContext<OrderConfirmedMessage> context)
        {
            var order = context.Message.Data ?? throw new FormatException("no data");
            if (string.IsNullOrEmpty(order.OrderId) || order.LineItems is not { Count: > 0 }) throw new FormatException("no orderId or lineItems");
            var endpoint = await context.GetSendEndpoint(FollowOns);
            await endpoint.Send(new DeliveryNoteCreatedMessage
            {
                Type = Messages.FollowOnType,
                TenantId = context.Message.TenantId,
                Data = new DeliveryNoteData
                {
                    DeliveryNoteId = "note-" + order.OrderId,
                    OrderId = order.OrderId,
                    OrderNumber = order.OrderNumber,
                    CustomerId = order.CustomerId,
                    ShippingAddressId = order.ShippingAddressId,
                    LineItems = order.LineItems,
                },
            }, send => send.SetRoutingKey(Messages.FollowOnType), context.CancellationToken);
        }
    }

    public sealed record OrderConfirmedMessage
    {
        public string? Type { get; init; }
        public string? TenantId { get; init; }
        public string? CorrelationId { get; init; }
        public OrderData? Data { get; init; }
    }

    public sealed record OrderData
    {
        public string? OrderId { get; init; }
        public string? OrderNumber { get; init; }
        public string? CustomerId { get; init; }
        public string? ShippingAddressId { get; init; }
        public List<LineItem>? LineItems { get; init; }
    }

    public sealed record LineItem
    {
        public string? ProductId { get; init; }
        public string? Description { get; init; }
        public decimal Quantity { get; init; }
        public string? Unit { get; init; }
    }

    public sealed record DeliveryNoteCreatedMessage
    {
        public string? Type { get; init; }
        public string? TenantId { get; init; }
        public DeliveryNoteData? Data { get; init; }
    }

    public sealed record DeliveryNoteData
    {
        public string? DeliveryNoteId { get; init; }
        public string? OrderId { get; init; }
        public string? OrderNumber { get; init; }
        public string? CustomerId { get; init; }
        public string? ShippingAddressId { get; init; }
        public List<LineItem>? LineItems { get; init; }
    }
}
