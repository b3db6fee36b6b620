using EventProcessors.Bench.Harness;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventProcessors.Bench.Contenders;

/// <summary>
/// Contender A, the floor: a plain RabbitMQ.Client 7 loop. An async consumer with prefetch handlers at once, each parsing the
/// message, publishing one follow-on on one shared confirm channel (the client tracks confirms, so the publish returns once the
/// broker confirmed) and acknowledging the input after that. No records, no idempotency, no retries.
/// </summary>
public static class RawRabbitLoop
{
    public static async Task RunAsync(Uri uri, int prefetch, CancellationToken stop)
    {
        var factory = new ConnectionFactory { Uri = uri, ClientProvidedName = "bench-raw", ConsumerDispatchConcurrency = (ushort)prefetch };
        await using var connection = await factory.CreateConnectionAsync(stop);
        await using var publish = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stop);
        await using var consume = await connection.CreateChannelAsync(cancellationToken: stop);
        await consume.BasicQosAsync(0, (ushort)prefetch, global: false, stop);
        // A closed channel would hand its unacknowledged messages out again (and the run would count duplicates): say so.
        consume.ChannelShutdownAsync += (_, e) => { if (!stop.IsCancellationRequested) Console.Error.WriteLine($"consume channel closed: {e.ReplyText}"); return Task.CompletedTask; };
        publish.ChannelShutdownAsync += (_, e) => { if (!stop.IsCancellationRequested) Console.Error.WriteLine($"publish channel closed: {e.ReplyText}"); return Task.CompletedTask; };
        consume.CallbackExceptionAsync += (_, e) => { Console.Error.WriteLine($"handler failed: {e.Exception}"); return Task.CompletedTask; };
        var consumer = new AsyncEventingBasicConsumer(consume);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            byte[] followOn;
            try
            {
                followOn = Messages.DeliveryNoteCreated(delivery.Body.Span);
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException)
            {
                await consume.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: false);
                return;
            }
            var properties = new BasicProperties { Persistent = true, ContentType = "application/cloudevents+json", MessageId = Guid.NewGuid().ToString(), Type = Messages.FollowOnType };
            await publish.BasicPublishAsync(Messages.CollectorExchange, Messages.FollowOnType, mandatory: false, properties, followOn);
            await consume.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        };
        await consume.BasicConsumeAsync(Messages.InputQueue, autoAck: false, consumer, stop);
        try
        {
            await Task.Delay(Timeout.Infinite, stop);
        }
        catch (OperationCanceledException)
        {
            // Asked to stop: closing the channels returns whatever is unacknowledged to the queue.
        }
    }
}
