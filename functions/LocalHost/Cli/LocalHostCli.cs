using EventProcessors.Processing.Telemetry;
using System.CommandLine;
using EventProcessors.LocalHost.DeadLetters;
using EventProcessors.LocalHost.Demo;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.LocalHost.Worker;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client.Exceptions;
using Spectre.Console;

namespace EventProcessors.LocalHost.Cli;

/// <summary>
/// <c>serve</c>, <c>demo</c>, <c>topology export</c>, <c>dead-letters list|replay</c>, <c>stock define|show</c>, <c>events trace|find|replay</c>. Global flags: <c>--transport
/// inmemory|rabbitmq</c>, <c>--rabbitmq &lt;amqp uri&gt;</c>, <c>--storage inmemory|&lt;connection string&gt;</c>. Settings have
/// the names of local.settings.sample.json (RabbitMQConnection, TableStorage, Processing__*, LocalHost__*), read from
/// local.settings.json's Values, then the environment, then the flags.
/// </summary>
public static class LocalHostCli
{
    public static Task<int> RunAsync(string[] args) => Build(AnsiConsole.Console).Parse(args).InvokeAsync();

    public static RootCommand Build(IAnsiConsole console)
    {
        var transport = new Option<string?>("--transport") { Description = "inmemory (default) or rabbitmq", Recursive = true };
        transport.AcceptOnlyFromAmong("inmemory", "rabbitmq");
        var rabbit = new Option<string?>("--rabbitmq") { Description = "AMQP URI of RabbitMQ (setting RabbitMQConnection); implies --transport rabbitmq", Recursive = true };
        var storage = new Option<string?>("--storage") { Description = "inmemory (default) or a Table Storage connection string, e.g. UseDevelopmentStorage=true (setting TableStorage)", Recursive = true };
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers host:9092,... (setting KafkaBrokers): MES actions consume mes-events there, the rest stays on --transport", Recursive = true };
        var settings = new Option<string?>("--settings") { Description = "a local.settings.json to read Values from (default: ./local.settings.json if present)", Recursive = true };

        IConfigurationRoot Configuration(ParseResult parse, bool embeddedDefaults = false)
        {
            var overrides = new Dictionary<string, string?>();
            if (embeddedDefaults)
            {
                // The demo runs on embedded defaults whatever local.settings.json says; flags still choose otherwise.
                overrides[LocalHostSettingNames.Transport] = "inmemory";
                overrides[SettingNames.TableStorage] = Processing.Storage.TableServiceClientFactory.InMemoryConnectionString;
                overrides[SettingNames.KafkaBrokers] = "";
            }
            if (parse.GetValue(kafka) is { } brokers) overrides[SettingNames.KafkaBrokers] = brokers;
            if (parse.GetValue(rabbit) is { } uri)
            {
                overrides[SettingNames.RabbitMQConnection] = uri;
                overrides[LocalHostSettingNames.Transport] = "rabbitmq";
            }
            if (parse.GetValue(transport) is { } kind) overrides[LocalHostSettingNames.Transport] = kind;
            if (parse.GetValue(storage) is { } tables) overrides[SettingNames.TableStorage] = tables;
            return LocalHostServiceCollectionExtensions.BuildConfiguration(overrides, parse.GetValue(settings));
        }

        var root = new RootCommand("Self-hosted event processors: every consumer action over RabbitMQ or an in-memory broker, without the Functions host.");
        root.Options.Add(transport);
        root.Options.Add(rabbit);
        root.Options.Add(storage);
        root.Options.Add(kafka);
        root.Options.Add(settings);

        // serve
        var prefetch = new Option<int?>("--prefetch") { Description = "deliveries in flight per action (setting LocalHost__Prefetch, default 8)" };
        var serve = new Command("serve", "Run the worker until stopped (Ctrl+C drains in-flight work, then exits).") { prefetch };
        serve.SetAction(async (parse, ct) =>
        {
            var configuration = Configuration(parse);
            if (parse.GetValue(prefetch) is { } p) configuration["LocalHost:Prefetch"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (string.IsNullOrEmpty(configuration[SettingNames.TableServiceUri]) && DevelopmentStorage.Warning(configuration[SettingNames.TableStorage]) is { } warning)
                console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
            try
            {
                return await ServeAsync(configuration, ct);
            }
            catch (HealthPortUnavailableException ex)
            {
                console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
                return 2;
            }
        });
        root.Subcommands.Add(serve);

        // demo
        var scenario = new Option<string[]>("--scenario") { Description = "only these scenarios: " + string.Join(", ", DemoScenarios.All.Select(s => s.Key)), AllowMultipleArgumentsPerToken = true };
        scenario.AcceptOnlyFromAmong([.. DemoScenarios.All.Select(s => s.Key)]);
        var demo = new Command("demo", "Run the seed scenarios and show each hop live (embedded defaults: no services needed).") { scenario };
        demo.SetAction(async (parse, ct) => await DemoRunner.RunAsync(Configuration(parse, embeddedDefaults: true), console, parse.GetValue(scenario), ct));
        root.Subcommands.Add(demo);

        // topology export
        var output = new Option<string?>("--output", "-o") { Description = "file to write (default: standard output); infra/rabbitmq/definitions.json is the checked-in copy" };
        var vhost = new Option<string>("--vhost") { Description = "virtual host of the definitions", DefaultValueFactory = _ => "/" };
        var kafkaOutput = new Option<string?>("--kafka-output") { Description = "folder to write the Kafka topics to (topics.json, create-topics.sh for kafka-topics.sh); infra/kafka is the checked-in copy" };
        var export = new Command("export", "Write the RabbitMQ definitions (exchanges, quorum queues, dead-letter queues, bindings) and the Kafka topics for deployments.") { output, vhost, kafkaOutput };
        export.SetAction(parse =>
        {
            var configuration = Configuration(parse);
            var options = configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();
            var kafkaOptions = KafkaOptions.From(configuration);
            var topology = Audit.AuditWorker.WithAudit(TopologyDefinition.For(Consumers.All, options.DeliveryLimit));
            // With MES on Kafka the broker carries no MES queue, exchange or binding.
            var json = RabbitMqDefinitions.Export(kafkaOptions.IsConfigured ? MesOnKafkaTransport.QueueSide(topology) : topology, parse.GetValue(vhost)!);
            if (parse.GetValue(kafkaOutput) is { } folder)
            {
                var topics = KafkaTopics.For(kafkaOptions);
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "topics.json"), KafkaTopics.ExportJson(topics));
                File.WriteAllText(Path.Combine(folder, "create-topics.sh"), KafkaTopics.ExportScript(topics));
                console.MarkupLine($"wrote [bold]{Markup.Escape(Path.Combine(folder, "topics.json"))}[/] and [bold]create-topics.sh[/]");
            }
            if (parse.GetValue(output) is { } file)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
                File.WriteAllText(file, json);
                console.MarkupLine($"wrote [bold]{Markup.Escape(file)}[/]");
            }
            else
            {
                Console.Out.Write(json);
            }
            return 0;
        });
        root.Subcommands.Add(new Command("topology", "Broker topology.") { export });

        // dead-letters
        var queue = new Option<string?>("--queue") { Description = "one action's queue or consumer group (or its .dead-letter queue); default: all" };
        var limit = new Option<int>("--limit") { Description = "at most this many per queue", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "Show dead letters with their reasons and original routing (nothing is removed).") { queue, limit };
        list.SetAction(async (parse, ct) => await WithDeadLettersAsync(Configuration(parse), console, parse.GetValue(queue), ct, async tool =>
        {
            var letters = await tool.ListAsync(parse.GetValue(queue), parse.GetValue(limit), ct);
            Show(console, letters);
            return 0;
        }));
        var replay = new Command("replay", "Send dead letters back to the queue or topic they died in (after fixing the cause).") { queue, limit };
        replay.SetAction(async (parse, ct) => await WithDeadLettersAsync(Configuration(parse), console, parse.GetValue(queue), ct, async tool =>
        {
            var (replayed, skipped) = await tool.ReplayAsync(parse.GetValue(queue), parse.GetValue(limit), ct);
            Show(console, replayed);
            console.MarkupLine($"replayed [bold]{replayed.Count}[/], could not route {skipped.Count}");
            return skipped.Count == 0 ? 0 : 1;
        }));
        root.Subcommands.Add(new Command("dead-letters", "Inspect and replay dead letters.") { list, replay });
        root.Subcommands.Add(StockCommands.Build(parse => Configuration(parse), console));
        root.Subcommands.Add(EventCommands.Build(parse => Configuration(parse), console));
        return root;
    }

    public static async Task<int> ServeAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        // No reload on change: it watches the working directory recursively (thousands of inotify watches started from /tmp),
        // and a worker's settings change with a restart.
        var initial = new ConfigurationManager();
        initial.AddInMemoryCollection(new Dictionary<string, string?> { ["hostBuilder:reloadConfigOnChange"] = "false" });
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], Configuration = initial });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders().AddSimpleConsole(o => { o.SingleLine = true; o.IncludeScopes = false; });
        builder.Services.AddLocalHost(builder.Configuration);
        // Nothing shows a serving worker's timeline (the demo prints its own, tests read their host's): it records none, rather
        // than keeping the last few thousand deliveries' entries for no reader.
        builder.Services.RemoveAll<ITimelineObserver>();
        builder.Services.AddWorkerTelemetry(builder.Configuration, operations: true);
        var drain = builder.Configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>()?.DrainTimeout ?? new WorkerOptions().DrainTimeout;
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = drain + TimeSpan.FromSeconds(10));
        // Not RunAsync: it disposes the host, and the telemetry still has to be flushed after the stop.
        using var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            await host.WaitForShutdownAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await host.StopAsync(CancellationToken.None); // stopped while starting: stop (and drain) what did start
        }
        TelemetrySetup.Flush(host.Services);
        return 0;
    }

    /// <summary>
    /// Runs <paramref name="run"/> with the dead letters this configuration reaches: RabbitMQ's dead-letter queues (with
    /// <c>--rabbitmq</c>) and, with Kafka brokers configured, <c>mes-events.dead-letter</c>; a <c>--queue</c> picks the one it belongs to.
    /// </summary>
    private static async Task<int> WithDeadLettersAsync(IConfiguration configuration, IAnsiConsole console, string? queue, CancellationToken ct, Func<IDeadLetterTool, Task<int>> run)
    {
        var kafka = KafkaOptions.From(configuration);
        var rabbit = LocalHostServiceCollectionExtensions.TransportOf(configuration) == TransportKind.RabbitMq;
        var onKafka = kafka.IsConfigured && (queue is null || !rabbit || KafkaDeadLetterTool.IsMesGroup(queue));
        var onRabbit = rabbit && !(onKafka && queue is not null);
        if (!onKafka && !onRabbit)
        {
            console.MarkupLine("[yellow]The in-memory broker lives inside a running worker; dead letters of a separate process cannot be read.[/] " +
                "Use [bold]--rabbitmq amqp://guest:guest@localhost:5672/[/] (or --transport rabbitmq with RabbitMQConnection set)" +
                (kafka.IsConfigured ? "." : ", and [bold]--kafka host:9092[/] for the MES actions' dead letters on Kafka."));
            return 2;
        }
        try
        {
            var exit = 0;
            if (onRabbit)
            {
                await using var transport = await RabbitMqTransport.ConnectAsync(LocalHostServiceCollectionExtensions.RabbitMqOptionsOf(configuration), cancellationToken: ct);
                var options = configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>() ?? new WorkerOptions();
                exit = await run(new DeadLetterTool(transport, TopologyDefinition.For(Consumers.All, options.DeliveryLimit)));
            }
            if (onKafka) exit = Math.Max(exit, await run(new KafkaDeadLetterTool(kafka)));
            return exit;
        }
        catch (Exception ex) when (ex is BrokerUnreachableException or ArgumentException or Confluent.Kafka.KafkaException)
        {
            // An operator's mistake (a wrong --queue, a broker not running) deserves its message, not a stack trace.
            console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
            return 2;
        }
    }

    private static void Show(IAnsiConsole console, IReadOnlyList<DeadLetterInfo> letters)
    {
        if (letters.Count == 0)
        {
            console.MarkupLine("no dead letters");
            return;
        }
        foreach (var l in letters)
        {
            console.MarkupLine($"[bold]{Markup.Escape(l.FirstDeathQueue ?? l.DeadLetterQueue)}[/]  {Markup.Escape(l.EventType ?? "?")}  " +
                $"[grey]message {Markup.Escape(l.MessageId ?? "(none)")}, replays {l.Replays}[/]");
            console.MarkupLine($"  reason:  [red]{Markup.Escape(l.Reason)}[/]");
            console.MarkupLine($"  routing: {Markup.Escape(l.OriginalExchange ?? "?")} / {Markup.Escape(l.OriginalRoutingKey ?? "?")}" +
                (l.Consumer is null ? "" : $"  [grey](dead-lettered by {Markup.Escape(l.Consumer)})[/]"));
            console.MarkupLine($"  body:    [grey]{Markup.Escape(l.BodyPreview)}[/]");
        }
        console.MarkupLine($"{letters.Count} dead letter(s)");
    }
}
