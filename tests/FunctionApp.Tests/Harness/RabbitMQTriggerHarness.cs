using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Pipeline;
using EventProcessors.TestSupport;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>
/// Drives the Function App's RabbitMQ-triggered functions against a real broker the way the Functions host's RabbitMQ
/// listener does (Azure/azure-functions-rabbitmq-extension, Trigger/RabbitMQListener.cs). Each rule below names the
/// behaviour it reproduces. One harness is one host instance: <see cref="KillAsync"/> ends it as a crashed host ends.
/// </summary>
public sealed class RabbitMQTriggerHarness : IAsyncDisposable
{
    private const string RequeueCountHeader = "x-ms-rabbitmq-requeuecount";

    private readonly IServiceProvider _services;
    private readonly SqlOutputStandIn _sql;
    private readonly CancellationTokenSource _host = new();
    private readonly List<IChannel> _channels = [];
    private IConnection? _connection;

    private RabbitMQTriggerHarness(IServiceProvider services, SqlOutputStandIn sql)
    {
        _services = services;
        _sql = sql;
    }

    /// <summary>Invocations and their results, in order: (function, message id, succeeded, error, the broker's redelivered flag).</summary>
    public ConcurrentQueue<(string Function, string? MessageId, bool Succeeded, string? Error, bool Redelivered)> Invocations { get; } = new();

    /// <summary>
    /// Awaited after an invocation and its output bindings finished and before the listener settles the message (ack, or
    /// republish and ack): a test holds it there to restart the broker between output and ack.
    /// </summary>
    public Func<string, BasicDeliverEventArgs, Task>? BeforeSettle { get; set; }

    /// <summary>Starts one listener per function on <paramref name="uri"/>, as a host with these functions starts.</summary>
    public static async Task<RabbitMQTriggerHarness> StartAsync(Uri uri, IServiceProvider services, SqlOutputStandIn sql, ushort prefetchCount, params string[] functions)
    {
        var harness = new RabbitMQTriggerHarness(services, sql);
        // Rule: the listener's consumer is an AsyncEventingBasicConsumer on a client whose dispatch concurrency is 1, so one
        // message of a queue is handled at a time per host instance (serial dispatch). Its ConnectionFactory sets only the
        // URI and async dispatch, so the client's defaults hold: automatic recovery of the connection, channel and consumer
        // (every 5 s) after the broker went away.
        var factory = new ConnectionFactory
        {
            Uri = uri, ConsumerDispatchConcurrency = 1, AutomaticRecoveryEnabled = true, TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(5), ClientProvidedName = "trigger-harness",
        };
        harness._connection = await factory.CreateConnectionAsync();
        foreach (var function in functions)
        {
            var queue = FunctionInvoker.TriggerOf<RabbitMQTriggerAttribute>(function).QueueName;
            var channel = await harness._connection.CreateChannelAsync();
            harness._channels.Add(channel);
            // Rule: BasicQos(0, prefetchCount from host.json, global: false), then BasicConsume(autoAck: false).
            await channel.BasicQosAsync(0, prefetchCount, false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) => harness.ReceivedAsync(channel, function, queue, delivery);
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        }
        return harness;
    }

    private async Task ReceivedAsync(IChannel channel, string function, string queue, BasicDeliverEventArgs delivery)
    {
        if (_host.IsCancellationRequested) return; // a killed host settles nothing: the broker requeues its unacked messages
        var body = delivery.Body.ToArray();
        var properties = new BasicProperties(delivery.BasicProperties);
        var run = RunAsync(function, body, delivery);
        // A killed host's invocation never returns here: the handler lets go at once so the connection can drop.
        await Task.WhenAny(run, _killedSignal.Task);
        if (!run.IsCompleted) return;
        var error = await run;
        if (_host.IsCancellationRequested) return;
        Invocations.Enqueue((function, properties.MessageId, error is null, error, delivery.Redelivered));
        if (BeforeSettle is { } beforeSettle) await beforeSettle(function, delivery);
        try
        {
            await SettleAsync(channel, queue, delivery, body, properties, error);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.AlreadyClosedException or RabbitMQ.Client.Exceptions.OperationInterruptedException or IOException)
        {
            // Rule: the listener's ack or republish on a channel that died throws out of its handler (the client logs it);
            // the message was never acknowledged, so the broker delivers it again, flagged redelivered, to the recovered
            // consumer. An ack on the recovered channel with the old delivery tag is ignored by the client.
        }
    }

    private static async Task SettleAsync(IChannel channel, string queue, BasicDeliverEventArgs delivery, byte[] body, BasicProperties properties, string? error)
    {
        if (error is not null)
        {
            // Rule: on failure the listener reads x-ms-rabbitmq-requeuecount, adds one and, at 5 or more, rejects the
            // message without requeue (the queue's dead-letter exchange, if any, takes it); below 5 it republishes a copy
            // with the same properties and the new count through the default exchange (no publisher confirms).
            var headers = properties.Headers ??= new Dictionary<string, object?>();
            var requeueCount = headers.TryGetValue(RequeueCountHeader, out var value) ? Convert.ToInt32(value, CultureInfo.InvariantCulture) + 1 : 1;
            if (requeueCount >= 5)
            {
                await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false);
                return;
            }
            headers[RequeueCountHeader] = requeueCount;
            await channel.BasicPublishAsync("", queue, mandatory: false, properties, body);
        }
        // Rule: the original is acknowledged only after the function succeeded, or after its copy was republished.
        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
    }

    private async Task<string?> RunAsync(string function, byte[] body, BasicDeliverEventArgs delivery)
    {
        try
        {
            // Rule: the function runs with the body as a UTF-8 string and the binding data of RabbitMQTriggerBinding
            // (ConsumerTag, DeliveryTag, Redelivered, Exchange, RoutingKey, BasicProperties), serialized as the host hands
            // them to an isolated worker; the output bindings are applied after the function returned, and the
            // invocation fails if any of them fails (TryExecuteAsync covers both).
            var context = FunctionInvoker.Context(BindingData(delivery), retryCount: 0, maxRetryCount: null, _host.Token);
            var outputs = await FunctionInvoker.InvokeAsync(_services, function, Encoding.UTF8.GetString(body), context);
            ApplyOutputs(outputs);
            return null;
        }
        catch (Exception ex)
        {
            return ex.Message;
        }
    }

    private void ApplyOutputs(IReadOnlyList<OutputValue> outputs)
    {
        // Only SqlOutput is bound by the Collector functions; anything else would be a binding this harness does not know.
        foreach (var output in outputs)
            if (output.Binding is not SqlOutputAttribute)
                throw new NotSupportedException($"output binding {output.Binding.GetType().Name} on {output.Name}");
        _sql.Apply(outputs.Select(o => (((SqlOutputAttribute)o.Binding).CommandText, o.Value)));
    }

    /// <summary>
    /// Binding data as the host passes it to an isolated worker: strings, and BasicProperties as JSON with the RabbitMQ
    /// client's property names; header values that are byte arrays (AMQP strings) become base64, numbers stay numbers.
    /// </summary>
    public static Dictionary<string, object?> BindingData(BasicDeliverEventArgs delivery)
    {
        var p = delivery.BasicProperties;
        var headers = p.Headers?.ToDictionary(h => h.Key, h => h.Value switch
        {
            byte[] bytes => (object?)Convert.ToBase64String(bytes),
            var other => other,
        });
        var json = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["AppId"] = p.AppId, ["ClusterId"] = p.ClusterId, ["ContentEncoding"] = p.ContentEncoding, ["ContentType"] = p.ContentType,
            ["CorrelationId"] = p.CorrelationId, ["DeliveryMode"] = (int)p.DeliveryMode, ["Expiration"] = p.Expiration, ["Headers"] = headers,
            ["MessageId"] = p.MessageId, ["Persistent"] = p.Persistent, ["Priority"] = p.Priority, ["ReplyTo"] = p.ReplyTo,
            ["Timestamp"] = new { UnixTime = p.Timestamp.UnixTime }, ["Type"] = p.Type, ["UserId"] = p.UserId,
        });
        return new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["ConsumerTag"] = delivery.ConsumerTag,
            ["DeliveryTag"] = delivery.DeliveryTag.ToString(CultureInfo.InvariantCulture),
            ["Redelivered"] = delivery.Redelivered ? "true" : "false",
            ["Exchange"] = delivery.Exchange,
            ["RoutingKey"] = delivery.RoutingKey,
            ["BasicProperties"] = json,
        };
    }

    /// <summary>Ends the host as a crash does: its connection drops with every message unacknowledged, and no invocation settles anything.</summary>
    public async Task KillAsync()
    {
        _killed = true;
        _killedSignal.TrySetResult();
        await _host.CancelAsync();
        // The abort closes the socket at once (the broker requeues the unacked messages) but then waits for the handler
        // in flight, which a crashed host never finishes: do not wait for it.
        if (_connection is not null) await Task.WhenAny(_connection.AbortAsync(), Task.Delay(TimeSpan.FromSeconds(2)));
    }

    private bool _killed;
    private readonly TaskCompletionSource _killedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        if (_killed) return;
        if (!_host.IsCancellationRequested) await _host.CancelAsync();
        foreach (var channel in _channels) await channel.DisposeAsync();
        if (_connection is not null) await _connection.DisposeAsync();
        _host.Dispose();
    }
}

/// <summary>The topology an operator applies (infra/rabbitmq/definitions.json), declared in a test's virtual host.</summary>
public static class Topology
{
    public static async Task DeclareAsync(Uri vhost)
    {
        var definitions = JsonDocument.Parse(RepositoryFiles.Read("infra/rabbitmq/definitions.json")).RootElement;
        await using var connection = await new ConnectionFactory { Uri = vhost }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var exchange in definitions.GetProperty("exchanges").EnumerateArray())
            await channel.ExchangeDeclareAsync(exchange.GetProperty("name").GetString()!, exchange.GetProperty("type").GetString()!, durable: true);
        foreach (var queue in definitions.GetProperty("queues").EnumerateArray())
            await channel.QueueDeclareAsync(queue.GetProperty("name").GetString()!, durable: true, exclusive: false, autoDelete: false,
                arguments: queue.GetProperty("arguments").EnumerateObject().ToDictionary(a => a.Name, a => a.Value.ValueKind == JsonValueKind.Number
                    ? (object?)a.Value.GetInt32() : a.Value.GetString()));
        foreach (var binding in definitions.GetProperty("bindings").EnumerateArray())
            await channel.QueueBindAsync(binding.GetProperty("destination").GetString()!, binding.GetProperty("source").GetString()!, binding.GetProperty("routing_key").GetString()!);
    }

    /// <summary>Everything in <paramref name="queue"/> now, taken and given back unacknowledged (bodies as text, with their properties).</summary>
    public static async Task<IReadOnlyList<(string Body, IReadOnlyBasicProperties Properties)>> PeekAsync(Uri vhost, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = vhost }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var messages = new List<(string, IReadOnlyBasicProperties)>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } result)
            messages.Add((Encoding.UTF8.GetString(result.Body.Span), result.BasicProperties));
        return messages; // closing the channel returns them to the queue
    }

    /// <summary>Fails with the dead letters' bodies if any Collector dead-letter queue (the outbox's included) holds a message.</summary>
    public static async Task AssertNothingDeadLetteredAsync(Uri vhost)
    {
        foreach (var queue in Consumers.All.Where(c => c.Bus == EventBus.Collector).Select(c => c.Queue).Append(Destinations.CollectorOutbox))
            Assert.True(await CountAsync(vhost, Destinations.DeadLetterQueue(queue)) == 0,
                $"{queue} dead-lettered: {string.Join(" | ", (await PeekAsync(vhost, Destinations.DeadLetterQueue(queue))).Select(m => m.Body))}");
    }

    public static async Task<uint> CountAsync(Uri vhost, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = vhost }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.MessageCountAsync(queue);
    }

    public static async Task PublishAsync(Uri vhost, string exchange, string routingKey, string body, BasicProperties? properties = null)
    {
        await using var connection = await new ConnectionFactory { Uri = vhost }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties ?? new BasicProperties { ContentType = "application/cloudevents+json", DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes(body));
    }
}
