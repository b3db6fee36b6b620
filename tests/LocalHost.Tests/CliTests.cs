using EventProcessors.LocalHost.Cli;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;
using Spectre.Console;

namespace EventProcessors.LocalHost.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Demo_runs_on_embedded_defaults_shows_suppression_and_dead_letters_and_exits_0()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });

        var exit = await LocalHostCli.Build(console).Parse(["demo", "--transport", "inmemory", "--storage", "inmemory"]).InvokeAsync();

        var text = output.ToString();
        Assert.True(exit == 0, text);
        Assert.Contains("suppressed duplicate", text);
        Assert.Contains("dead-lettered", text);
        Assert.Contains("CreateOrderFromOffer handled offer.approved", text);
    }

    [Fact]
    public async Task Topology_export_is_the_checked_in_definitions_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"definitions-{Guid.NewGuid():N}.json");
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()) });

        var exit = await LocalHostCli.Build(console).Parse(["topology", "export", "--output", file]).InvokeAsync();

        Assert.Equal(0, exit);
        Assert.Equal(RepositoryFiles.Read("infra/rabbitmq/definitions.json"), await File.ReadAllTextAsync(file));
        File.Delete(file);
    }

    [Fact]
    public void Topology_has_a_quorum_queue_per_action_bound_by_its_types_and_a_dead_letter_queue_each()
    {
        var topology = TopologyDefinition.For();

        foreach (var consumer in Consumers.All)
        {
            var queue = Assert.Single(topology.Queues, q => q.Name == consumer.Queue);
            Assert.Equal("quorum", queue.Arguments["x-queue-type"]);
            Assert.Equal(Destinations.DeadLetterExchange, queue.Arguments["x-dead-letter-exchange"]);
            Assert.Equal(consumer.Queue + ".dead-letter", queue.Arguments["x-dead-letter-routing-key"]);
            Assert.Contains(topology.Queues, q => q.Name == consumer.Queue + ".dead-letter");
            Assert.Equal(consumer.Consumes.Order(), topology.Bindings.Where(b => b.Queue == consumer.Queue).Select(b => b.RoutingKey).Order());
            Assert.All(topology.Bindings.Where(b => b.Queue == consumer.Queue), b => Assert.Equal(TopologyDefinition.ExchangeOf(consumer.Bus), b.Exchange));
        }
        Assert.Contains(topology.Queues, q => q.Name == Destinations.CollectorOutbox);
    }

    [Theory]
    [InlineData("order.created", "order.created", true)]
    [InlineData("order.*", "order.created", true)]
    [InlineData("order.*", "order.created.late", false)]
    [InlineData("#", "anything.at.all", true)]
    [InlineData("quality.#", "quality", true)]
    [InlineData("quality.#.completed", "quality.inspection.completed", true)]
    [InlineData("*.created", "work-order.created", true)]
    [InlineData("*.created", "created", false)]
    public void Topic_patterns_match_as_RabbitMQ_does(string pattern, string key, bool matches) =>
        Assert.Equal(matches, TopicPattern.Matches(pattern, key));
}

/// <summary>The exported definitions load into a real broker, and the worker's own declarations agree with them.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class DefinitionsImportTests(RabbitMqFixture rabbit)
{
    [Fact]
    public async Task Exported_definitions_import_and_the_worker_declares_the_same_topology_over_them()
    {
        await using var vhost = await rabbit.CreateVirtualHostAsync("defs");
        var file = Path.Combine(Path.GetTempPath(), $"definitions-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, RabbitMqDefinitions.Export(TopologyDefinition.For(), vhost.Name));
        try
        {
            await RabbitMqFixture.RabbitCtlAsync("import_definitions", file);
        }
        finally
        {
            File.Delete(file);
        }

        await using var transport = await RabbitMqTransport.ConnectAsync(new RabbitMqOptions { Uri = vhost.Uri });
        // Redeclaring with different arguments would fail with PRECONDITION_FAILED.
        await transport.DeclareAsync(TopologyDefinition.For(), CancellationToken.None);
        foreach (var consumer in Consumers.All)
            Assert.Equal(0u, await transport.CountAsync(consumer.Queue, CancellationToken.None));
    }
}
