using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The services Program.cs registers (Processing over in-memory tables, then the Function App's own), and
/// mocked <see cref="FunctionContext"/>s as the worker would pass them.
/// </summary>
internal static class FunctionHost
{
    public static ServiceProvider Services(Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [SettingNames.TableStorage] = TableServiceClientFactory.InMemoryConnectionString,
            [SettingNames.RabbitMQConnection] = Environment.GetEnvironmentVariable("RABBITMQ_URI") ?? "amqp://guest:guest@127.0.0.1:5672/",
        }).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddEventProcessing(configuration)
            .AddSingleton<RecordingPublisher>()
            .AddSingleton<IConfirmedPublisher>(sp => sp.GetRequiredService<RecordingPublisher>())
            .AddFunctionApp(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Runs a Collector function and returns its outputs with what it published on the way (the outbox, its retry
    /// queue, its dead-letter queue), as far as the <see cref="RecordingPublisher"/> of these services saw.
    /// </summary>
    public static async Task<CollectorRun<T>> Collect<T>(this IServiceProvider services, Func<Task<T>> invoke)
    {
        var publisher = services.GetRequiredService<RecordingPublisher>();
        publisher.Clear();
        var output = await invoke();
        return new CollectorRun<T>(output, publisher.Bodies(Processing.Actions.Destinations.CollectorOutbox),
            publisher.Messages.Where(m => m.RoutingKey.EndsWith(".dead-letter", StringComparison.Ordinal)).Select(m => Encoding.UTF8.GetString(m.Message.Body.Span)).SingleOrDefault(),
            publisher.Messages.Where(m => m.RoutingKey.EndsWith(".retry", StringComparison.Ordinal)).Select(m => m.Message).SingleOrDefault());
    }

    public static Task<CollectorRun<bool>> Collect(this IServiceProvider services, Func<Task> invoke) =>
        services.Collect(async () => { await invoke(); return true; });

    /// <summary>A function class as the worker creates it: constructor arguments from the container.</summary>
    public static T Function<T>(this IServiceProvider services) => ActivatorUtilities.CreateInstance<T>(services);

    /// <summary>
    /// The context of one invocation: binding data as the worker passes it (strings/JSON), and the retry
    /// context of a function with a retry policy of <paramref name="maxRetryCount"/> retries, on attempt <paramref name="retryCount"/> + 1.
    /// </summary>
    public static FunctionContext Context(IReadOnlyDictionary<string, object?>? bindingData = null, int retryCount = 0, int maxRetryCount = 5)
    {
        var binding = new Mock<BindingContext>();
        binding.Setup(b => b.BindingData).Returns(bindingData ?? new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase));
        var retry = new Mock<RetryContext>();
        retry.Setup(r => r.RetryCount).Returns(retryCount);
        retry.Setup(r => r.MaxRetryCount).Returns(maxRetryCount);
        var context = new Mock<FunctionContext>();
        context.Setup(c => c.InvocationId).Returns(Guid.NewGuid().ToString());
        context.Setup(c => c.BindingContext).Returns(binding.Object);
        context.Setup(c => c.RetryContext).Returns(retry.Object);
        context.Setup(c => c.CancellationToken).Returns(CancellationToken.None);
        return context.Object;
    }

    /// <summary>RabbitMQ binding data with <c>BasicProperties</c> as the host serializes them.</summary>
    public static Dictionary<string, object?> RabbitMQBindingData(string? messageId, string contentType = "application/json") =>
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["DeliveryTag"] = "1",
            ["Redelivered"] = "false",
            ["Exchange"] = "collector-events",
            ["BasicProperties"] = JsonSerializer.Serialize(new { ContentType = contentType, MessageId = messageId, DeliveryMode = 2 }),
        };

    /// <summary>Every output property of a function's return value, serialized: two invocations compare exactly.</summary>
    public static string Snapshot(object output) => JsonSerializer.Serialize(output, output.GetType());

    public static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    public static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..16];
}

/// <summary>The system clock, except that every timer fires at once and its requested delay is recorded: waits without waiting.</summary>
internal sealed class ImmediateTimers : TimeProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> _delays = new();

    public IReadOnlyList<TimeSpan> Delays => [.. _delays];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _delays.Enqueue(dueTime);
        return System.CreateTimer(callback, state, TimeSpan.Zero, period);
    }
}

/// <summary>One Collector invocation: the function's return value and what it published (null when nothing).</summary>
internal sealed record CollectorRun<T>(T Output, string[]? Outbox, string? DeadLetter, AmqpMessage? Retry);

/// <summary>
/// A stand-in for the broker's side of <see cref="IConfirmedPublisher"/> in the unit tests: it confirms every message and
/// keeps it. The harness tests (RabbitMQTriggerTests) publish to the real broker instead.
/// </summary>
internal sealed class RecordingPublisher : IConfirmedPublisher
{
    private readonly ConcurrentQueue<(string Exchange, string RoutingKey, AmqpMessage Message)> _messages = new();

    public IReadOnlyList<(string Exchange, string RoutingKey, AmqpMessage Message)> Messages => [.. _messages];

    public void Clear() => _messages.Clear();

    public string[]? Bodies(string routingKey) =>
        Messages.Where(m => m.RoutingKey == routingKey).Select(m => Encoding.UTF8.GetString(m.Message.Body.Span)).ToArray() is { Length: > 0 } bodies ? bodies : null;

    public Task PublishAsync(string exchange, string routingKey, IReadOnlyList<AmqpMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages) _messages.Enqueue((exchange, routingKey, message));
        return Task.CompletedTask;
    }
}
