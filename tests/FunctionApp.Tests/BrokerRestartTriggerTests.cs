using System.Text.Json.Nodes;
using EventProcessors.FunctionApp.Tests.Harness;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;
using RabbitMQ.Client;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The Collector functions under the RabbitMQ trigger's rules while the broker restarts, on a RabbitMQ node of this test's
/// own (<see cref="PrivateRabbitMq"/>; the shared broker is never restarted) and real Table Storage (Azurite). A class of
/// its own so that it runs beside the other test classes.
/// </summary>
public sealed class BrokerRestartTriggerTests(AzuriteFixture storage) : IClassFixture<AzuriteFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_broker_restart_between_the_output_and_the_ack_redelivers_the_message_and_loses_no_follow_on()
    {
        await using var broker = await PrivateRabbitMq.StartAsync();
        await Topology.DeclareAsync(broker.Uri);
        var sql = new SqlOutputStandIn();
        var tenant = FunctionHost.NewTenant();
        await using var services = HarnessHost.Services(storage.ConnectionString, HarnessHost.NewTablePrefix(), broker.Uri);
        await using var host = await RabbitMQTriggerHarness.StartAsync(broker.Uri, services, sql, prefetchCount: 16, "CreateOrderFromOffer", "RouteOutbox");
        var outputDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.BeforeSettle = async (function, delivery) =>
        {
            if (function != "CreateOrderFromOffer" || delivery.BasicProperties.MessageId != "offer-restart" || delivery.Redelivered) return;
            outputDone.TrySetResult();
            await restarted.Task; // the function returned and its rows were written; the ack comes after the broker went away
        };

        await PublishAsync(broker.Uri, tenant, "OFF-R1", "offer-restart");
        await outputDone.Task.WaitAsync(Patience);
        // The follow-on was confirmed in the outbox before the function returned, and routed on by RouteOutbox.
        await Eventually.UntilAsync(async () => await Topology.CountAsync(broker.Uri, Consumers.CaptureOrder.Queue) == 1, "order.created routed", Patience);
        await broker.RestartAsync(TimeSpan.FromSeconds(2));
        restarted.SetResult(); // the ack now goes to a channel that died with the broker

        // The client recovers the connection and the consumer; the broker delivers the unacknowledged message again.
        await Eventually.UntilAsync(() => host.Invocations.Any(i => i is { MessageId: "offer-restart", Redelivered: true, Succeeded: true }), "the redelivery", Patience);
        // A message published after the restart goes through the recovered consumer and the publisher's new connection.
        await PublishAsync(broker.Uri, FunctionHost.NewTenant(), "OFF-R2", "offer-after-restart");
        await Eventually.UntilAsync(async () => await Topology.CountAsync(broker.Uri, Consumers.CaptureOrder.Queue) >= 2, "the second order.created routed", Patience);
        await Eventually.UntilAsync(async () => await Topology.CountAsync(broker.Uri, Consumers.CreateOrderFromOffer.Queue) == 0, "the offers settled", Patience);
        // The follow-on is confirmed before the function returns, its rows are written and its invocation recorded after.
        await Eventually.UntilAsync(() => sql.Rows("dbo.Orders").Count >= 2
            && host.Invocations.Count(i => i is { Function: "RouteOutbox", Succeeded: true }) >= 2, "the second order's rows and routing", Patience);

        // Every follow-on is there, and entered the outbox once: the redelivered duplicate found its follow-on confirmed and
        // published nothing. (RouteOutbox may route one twice if the restart took its own ack: consumers dedupe by id.)
        var routed = await Topology.PeekAsync(broker.Uri, Consumers.CaptureOrder.Queue);
        Assert.Equal(2, routed.Select(m => m.Properties.MessageId).Distinct().Count());
        Assert.Equal(2, host.Invocations.Count(i => i is { Function: "RouteOutbox", Succeeded: true, Redelivered: false }));
        Assert.All(routed, m => Assert.Equal("order.created", JsonNode.Parse(m.Body)!["type"]!.GetValue<string>()));
        Assert.Equal(2, sql.Rows("dbo.Orders").Count);
        Assert.Equal(1, host.Invocations.Count(i => i is { Function: "CreateOrderFromOffer", MessageId: "offer-restart", Redelivered: false }));
        Assert.Equal(0u, await Topology.CountAsync(broker.Uri, Destinations.CollectorOutbox));
        await Topology.AssertNothingDeadLetteredAsync(broker.Uri);
    }

    private static Task PublishAsync(Uri broker, string tenant, string offer, string messageId) =>
        Topology.PublishAsync(broker, Destinations.CollectorExchange, "offer.approved", CollectorEvents.OfferApproved(tenant, offer),
            new BasicProperties { MessageId = messageId, ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent });
}
