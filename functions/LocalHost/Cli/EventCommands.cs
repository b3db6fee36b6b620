using System.CommandLine;
using System.Globalization;
using EventProcessors.LocalHost.Records;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace EventProcessors.LocalHost.Cli;

/// <summary>
/// <c>events trace|find|replay</c>: the event store read by an operator. The store is the one the worker writes:
/// the TableStorage account (<c>--storage</c>), or PostgreSQL with <c>--postgres &lt;connection string&gt;</c>
/// (settings EventStore__Backend=postgres, EventStore__PostgresConnection).
/// </summary>
public static class EventCommands
{
    public static Command Build(Func<ParseResult, IConfigurationRoot> configuration, IAnsiConsole console)
    {
        var tenant = new Option<string>("--tenant") { Description = "the tenant whose events to read (events without one: default)", DefaultValueFactory = _ => ActionContext.DefaultTenant, Recursive = true };
        var postgres = new Option<string?>("--postgres") { Description = "read the PostgreSQL event store at this Npgsql connection string (setting EventStore__PostgresConnection)", Recursive = true };

        IServiceProvider? Services(ParseResult parse)
        {
            var config = configuration(parse);
            if (parse.GetValue(postgres) is { } connection)
            {
                config["EventStore:Backend"] = "postgres";
                config["EventStore:PostgresConnection"] = connection;
            }
            // Idempotency records (each consumer's outcome) and projections live in the tables whichever store holds the events.
            if (config[SettingNames.TableStorage] is not { Length: > 0 } tables
                || string.Equals(tables.Trim(), TableServiceClientFactory.InMemoryConnectionString, StringComparison.OrdinalIgnoreCase))
            {
                console.MarkupLine("[yellow]In-memory tables live inside a running worker; its event store cannot be read from another process.[/] " +
                    "Use [bold]--storage UseDevelopmentStorage=true[/] (the TableStorage the worker uses), and [bold]--postgres[/] if its events go to PostgreSQL.");
                return null;
            }
            return new ServiceCollection().AddLogging().AddEventProcessing(config).BuildServiceProvider();
        }

        var correlation = new Argument<string>("correlation-id") { Description = "the flow's correlation id" };
        var trace = new Command("trace", "Show a flow as a tree: each event, its producer, every consumer's outcome and timings; dead letters in red.") { correlation };
        trace.SetAction(async (parse, ct) =>
        {
            if (Services(parse) is not { } services) return 2;
            var flow = await services.GetRequiredService<EventTracer>().TraceAsync(parse.GetValue(tenant)!, parse.GetValue(correlation)!, ct);
            Render(console, flow);
            return flow.Roots.Count == 0 ? 1 : 0;
        });

        var type = new Option<string?>("--type") { Description = "event type or prefix pattern, e.g. 'equipment.*'" };
        var entity = new Option<string?>("--entity") { Description = "the entity (partition key): an order, work order or equipment id" };
        var since = new Option<string?>("--since") { Description = "from this time (ISO 8601, or 30m, 12h, 7d ago)" };
        var until = new Option<string?>("--until") { Description = "before this time (ISO 8601, or 30m, 12h, 7d ago)" };
        var limit = new Option<int>("--limit") { Description = "at most this many events", DefaultValueFactory = _ => 100 };
        var find = new Command("find", "List events by type pattern, entity and time range, oldest first.") { type, entity, since, until, limit };
        find.SetAction(async (parse, ct) =>
        {
            if (!TryTime(console, parse.GetValue(since), out var from) || !TryTime(console, parse.GetValue(until), out var to)) return 2;
            if (Services(parse) is not { } services) return 2;
            var query = new EventQuery
            {
                Tenant = parse.GetValue(tenant)!, TypePattern = parse.GetValue(type), Entity = parse.GetValue(entity), Since = from, Until = to,
                PageSize = Math.Clamp(parse.GetValue(limit), 1, 1000),
            };
            try
            {
                query.Validate();
            }
            catch (ArgumentException ex)
            {
                console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
                return 2;
            }
            var page = await services.GetRequiredService<IEventStore>().QueryAsync(query, ct);
            var table = new Table().AddColumns("occurred", "type", "entity", "source", "id", "correlation", "data");
            foreach (var e in page.Events)
                table.AddRow(Markup.Escape(e.OccurredAt.ToString("u", CultureInfo.InvariantCulture)), Markup.Escape(e.Type), Markup.Escape(e.Entity ?? ""),
                    Markup.Escape(e.Source), Markup.Escape(e.Id), Markup.Escape(e.CorrelationId), e.Payload.ToString().ToLowerInvariant());
            console.Write(table);
            console.MarkupLine($"{page.Events.Count} event(s)" + (page.ContinuationToken is null ? "" : " [grey](more: raise --limit or narrow --since)[/]"));
            return 0;
        });

        var consumer = new Option<string>("--consumer") { Description = "the consumer to re-run (ProjectEquipmentStatus, SyncPartReference)", Required = true };
        var replaySince = new Option<string>("--since") { Description = "re-run the events from this time (ISO 8601, or 30m, 12h, 7d ago)", Required = true };
        var force = new Option<bool>("--force") { Description = "re-run a consumer whose effects cannot be undone (they happen again)" };
        var replay = new Command("replay", "Rebuild a projection: reset its state and idempotency records for the range, then re-run its events from the store.") { consumer, replaySince, force };
        replay.SetAction(async (parse, ct) =>
        {
            if (!TryTime(console, parse.GetValue(replaySince), out var from)) return 2;
            if (Services(parse) is not { } services) return 2;
            ReplayReport report;
            try
            {
                report = await services.GetRequiredService<EventReplayer>().ReplayAsync(parse.GetValue(consumer)!, parse.GetValue(tenant)!, from!.Value, parse.GetValue(force), ct);
            }
            catch (Exception ex) when (ex is ReplayRefusedException or ArgumentException)
            {
                console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
                return 2;
            }
            var records = new RecordWriter(services.GetRequiredService<ITableServiceClient>());
            foreach (var result in report.Results.Where(r => r.ShouldPublish)) await records.WriteAsync(result.Outcome.Records, ct);
            var failed = report.Results.Where(r => !r.ShouldPublish && r.Status != ProcessingStatus.Ignored).ToArray();
            console.MarkupLine($"re-ran [bold]{report.Replayed}[/] event(s) through {Markup.Escape(report.Consumer)}: " +
                $"{report.Results.Count(r => r.ShouldPublish)} handled, {failed.Length} not" +
                (report.WithoutData.Count == 0 ? "" : $", {report.WithoutData.Count} skipped (their data was not stored: restricted or confidential without the key)"));
            foreach (var f in failed) console.MarkupLine($"  [red]{Markup.Escape(f.Event?.Id ?? "?")}: {Markup.Escape(f.Error?.ToString() ?? f.RetryReason ?? "")}[/]");
            var emitted = report.Results.Sum(r => r.Outcome.Events.Count);
            if (emitted > 0) console.MarkupLine($"[yellow]{emitted} follow-on event(s) were decided but not published: a replay rebuilds state, it does not re-announce history.[/]");
            return failed.Length == 0 ? 0 : 1;
        });

        var sweep = new Command("sweep", "Delete the events each tenant's retention has expired (EventStore__Retention, EventStore__TenantRetention__<tenant>); serve does it hourly.");
        sweep.SetAction(async (parse, ct) =>
        {
            if (Services(parse) is not { } services) return 2;
            console.MarkupLine($"swept [bold]{await services.GetRequiredService<IEventStore>().SweepAsync(ct)}[/] event(s) past retention");
            return 0;
        });

        return new Command("events", "The event store: trace a flow, find events, replay a projection, sweep.") { tenant, postgres, trace, find, replay, sweep };
    }

    /// <summary>Prints <paramref name="flow"/> as a tree: events with their producer and time since the flow began, consumer outcomes under each.</summary>
    public static void Render(IAnsiConsole console, FlowTrace flow)
    {
        var nodes = flow.Nodes.ToArray();
        if (nodes.Length == 0)
        {
            console.MarkupLine($"no events of correlation id {Markup.Escape(flow.CorrelationId)} for tenant {Markup.Escape(flow.Tenant)}");
            return;
        }
        var start = nodes.Min(n => n.Event.OccurredAt);
        var deadLetters = nodes.Sum(n => n.Consumers.Count(c => c.State == ConsumerState.DeadLettered)) + flow.UnmatchedDeadLetters.Count;
        var tree = new Tree($"[bold]{Markup.Escape(flow.CorrelationId)}[/] [grey]tenant {Markup.Escape(flow.Tenant)}: {nodes.Length} event(s), " +
            $"{nodes.Sum(n => n.Consumers.Count)} consumer outcome(s)[/]" + (deadLetters == 0 ? "" : $" [red]{deadLetters} dead letter(s)[/]"));
        void Add(IHasTreeNodes parent, TraceNode node)
        {
            var e = node.Event;
            var label = e.ReadError is null
                ? $"[bold]{Markup.Escape(e.Type)}[/] [grey]from {Markup.Escape(e.Source)} +{Millis(e.OccurredAt - start)} ms, id {Markup.Escape(e.Id)}" +
                  (e.Entity is null ? "" : $", entity {Markup.Escape(e.Entity)}") + (e.Payload == PayloadRetention.Kept ? "" : $", data {e.Payload.ToString().ToLowerInvariant()}") + "[/]"
                : $"[red]unreadable message {Markup.Escape(e.Id)}: {Markup.Escape(e.ReadError)}[/]";
            var branch = parent.AddNode(label);
            foreach (var c in node.Consumers) branch.AddNode(Outcome(c));
            foreach (var child in node.Children) Add(branch, child);
        }
        foreach (var root in flow.Roots) Add(tree, root);
        foreach (var d in flow.UnmatchedDeadLetters)
            tree.AddNode($"[red]dead letter {Markup.Escape(d.Consumer)}: {Markup.Escape(d.Code)}: {Markup.Escape(d.Reason)}[/] [grey]({Markup.Escape(d.EventId)})[/]");
        console.Write(tree);
    }

    private static string Outcome(ConsumerOutcome c)
    {
        var took = c.StartedAt is { } s && c.FinishedAt is { } f ? $" in {Millis(f - s)} ms" : "";
        var attempts = c.Attempts > 1 ? $", {c.Attempts} attempts" : "";
        return c.State switch
        {
            ConsumerState.Completed => $"[green]✓ {Markup.Escape(c.Consumer)}[/] completed{took}{attempts}" +
                (c.DuplicatesSuppressed > 0 ? $" [grey]({c.DuplicatesSuppressed} duplicate(s) suppressed)[/]" : ""),
            ConsumerState.DeadLettered => $"[red]✗ {Markup.Escape(c.Consumer)} dead-lettered: {Markup.Escape(c.Reason ?? "")}[/]",
            ConsumerState.Retrying => $"[yellow]↻ {Markup.Escape(c.Consumer)} retrying{attempts}: {Markup.Escape(c.Reason ?? "")}[/]",
            ConsumerState.Processing => $"[yellow]… {Markup.Escape(c.Consumer)} processing[/]",
            _ => $"[grey]· {Markup.Escape(c.Consumer)} pending[/]",
        };
    }

    private static string Millis(TimeSpan span) => Math.Max(0, span.TotalMilliseconds).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>An ISO 8601 time, or an age such as 30m, 12h or 7d.</summary>
    private static bool TryTime(IAnsiConsole console, string? text, out DateTimeOffset? at)
    {
        at = null;
        if (text is null) return true;
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
            && text[^1] is 'm' or 'h' or 'd' && amount >= 0)
        {
            at = DateTimeOffset.UtcNow - text[^1] switch { 'm' => TimeSpan.FromMinutes(amount), 'h' => TimeSpan.FromHours(amount), _ => TimeSpan.FromDays(amount) };
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            at = parsed;
            return true;
        }
        console.MarkupLine($"[red]'{Markup.Escape(text)}' is not a time: use ISO 8601 (2026-12-01T10:00:00Z) or an age (30m, 12h, 7d).[/]");
        return false;
    }
}
