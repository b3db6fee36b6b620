using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Transport;
using EventProcessors.LocalHost.Transport.RabbitMq;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Demo_runs_on_embedded_defaults_every_action_handles_its_events_and_it_exits_0()
    {
        var (exit, text) = await DemoAsync("--transport", "inmemory", "--storage", "inmemory");

        Assert.True(exit == 0, text);
        AssertEveryFlow(text);
        Assert.Contains("CreateOrderFromOffer suppressed duplicate offer.approved", text);
        Assert.Contains("CreateOrderFromOffer dead-lettered offer.approved: MistypedField at $.data.lineItems[0].quantity", text);
        Assert.Contains(", 1 dead letters,", text);
        Assert.DoesNotContain("missing:", text);
    }

    [Fact]
    public async Task Demo_of_one_scenario_runs_only_its_actions()
    {
        var (exit, text) = await DemoAsync("--scenario", "procurement");

        Assert.True(exit == 0, text);
        Assert.Contains("CreatePurchaseOrder handled stock.low", text);
        Assert.Contains("stock of p-0815 in wh-1: on hand 18, reserved 8, available 10", text);
        Assert.DoesNotContain("offer.approved", text);
        Assert.DoesNotContain("work-order", text);
    }

    [Fact]
    public async Task Demo_of_an_unknown_scenario_is_refused_with_the_names_it_knows()
    {
        var (exit, text, errors) = await CliRun.RunAsync("demo", "--scenario", "procurment");

        Assert.NotEqual(0, exit);
        Assert.Contains("procurment", errors);
        Assert.Contains("procurement", errors);
        Assert.DoesNotContain("publish", text);
    }

    /// <summary>What every scenario shows when it works: each action of flows.md handles its event, with the exact figures the seeds give.</summary>
    internal static void AssertEveryFlow(string text)
    {
        foreach (var consumer in Consumers.All) Assert.Contains($"{consumer.Name} handled ", text);
        Assert.Contains("stock of p-4711 in wh-1: on hand 95, reserved 0, available 95", text);
        Assert.Contains("subtotal 1350.00 + tax 270.00 = 1620.00 USD", text);
        Assert.Matches(@"purchase order PO-\d{4}-\d{6}: 6 × p-0815 \(available 4, reorder level 10\)", text);
        Assert.Contains("stock of p-0815 in wh-1: on hand 18, reserved 8, available 10", text);
        Assert.Matches(@"NCR \S+: 3 rejected", text);
        Assert.Matches(@"recall forward: lot LOT-RAW-(\w+) is in LOT LOT-FG-\1, SERIAL SN-\1-001, SERIAL SN-\1-002", text);
        Assert.Matches(@"recall backward: serial SN-(\w+)-001 contains lots LOT-RAW-\1", text);
        Assert.Contains("now caches PN-100 'Gear housing, machined", text);
        Assert.Contains("check failed on press-3: above upper limit 80", text);
    }

    /// <summary>Runs the CLI's demo; returns the exit code and the text.</summary>
    internal static async Task<(int Exit, string Text)> DemoAsync(params string[] flags)
    {
        var (exit, text, errors) = await CliRun.RunAsync(["demo", .. flags]);
        return (exit, text + errors);
    }

    [Fact]
    public async Task Topology_export_is_the_checked_in_definitions_file()
    {
        var file = Path.Combine(Path.GetTempPath(), $"definitions-{Guid.NewGuid():N}.json");
        var (exit, _, _) = await CliRun.RunAsync("topology", "export", "--output", file);

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

/// <summary>The demo against the real services: RabbitMQ (a fresh virtual host) and Azurite.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class DemoOnRealServicesTests(RabbitMqFixture rabbit, AzuriteFixture azurite)
{
    [Fact]
    public async Task Demo_over_RabbitMQ_and_Azurite_shows_every_flow_and_exits_0()
    {
        await using var vhost = await rabbit.CreateVirtualHostAsync("demo");

        var (exit, text) = await CliTests.DemoAsync("--transport", "rabbitmq", "--rabbitmq", vhost.Uri.ToString(), "--storage", azurite.ConnectionString);

        Assert.True(exit == 0, text);
        CliTests.AssertEveryFlow(text);
        Assert.Contains("21 actions over rabbitmq transport", text);
        Assert.Contains("(dead-letters list shows it)", text);
    }
}

/// <summary><c>dead-letters</c> on an operator's mistakes: a clear message and exit code 2, never a stack trace.</summary>
[Collection(RabbitMqCollection.Name)]
public sealed class DeadLetterCommandTests(RabbitMqFixture rabbit)
{
    [Fact]
    public async Task A_queue_the_topology_does_not_have_is_refused_with_the_queues_it_has()
    {
        await using var vhost = await rabbit.CreateVirtualHostAsync("dlcli");

        var (exit, text, _) = await CliRun.RunAsync("dead-letters", "list", "--queue", "inventory.reserve-stok", "--rabbitmq", vhost.Uri.ToString());

        Assert.Equal(2, exit);
        Assert.Contains("No dead-letter queue 'inventory.reserve-stok.dead-letter'", text);
        Assert.Contains("inventory.reserve-stock.dead-letter", text);
        Assert.DoesNotContain("   at ", text);
    }

    [Fact]
    public async Task A_broker_that_is_not_there_is_named_as_unreachable()
    {
        var settings = Path.Combine(Path.GetTempPath(), $"local.settings-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settings, """{ "Values": { "LocalHost__ConnectTimeout": "00:00:01" } }""");
        try
        {
            var (exit, text, _) = await CliRun.RunAsync("dead-letters", "replay", "--rabbitmq", "amqp://guest:guest@127.0.0.1:1/", "--settings", settings);

            Assert.Equal(2, exit);
            Assert.Contains("None of the specified endpoints were reachable", text);
        }
        finally
        {
            File.Delete(settings);
        }
    }
}
