using EventProcessors.Processing.Telemetry;
using Microsoft.Extensions.Logging.Console;
using System.Diagnostics;
using EventProcessors.LocalHost.Cli;
using EventProcessors.LocalHost.Hosting;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.LocalHost.Transport;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace EventProcessors.LocalHost.Demo;

/// <summary>
/// Runs the seed scenarios through a real worker (embedded defaults: in-memory broker and tables) and shows every hop
/// live, then a summary. Returns 0 when every scenario produced what it should and nothing but the planted message was
/// dead-lettered.
/// </summary>
public static class DemoRunner
{
    public static async Task<int> RunAsync(IConfiguration configuration, IAnsiConsole console, IReadOnlyCollection<string>? only, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(configuration);
        // The console shows errors only (the timeline is the demo's output); exported logs keep Information.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).AddFilter<ConsoleLoggerProvider>(null, LogLevel.Error);
        builder.Services.AddLocalHost(builder.Configuration);
        builder.Services.AddWorkerTelemetry(builder.Configuration);
        builder.Services.AddSingleton<ITimelineObserver>(new ConsoleTimeline(console, start));
        using var host = builder.Build();

        var transport = host.Services.GetRequiredService<IMessageTransport>();
        var actions = host.Services.GetServices<IConsumerAction>().ToArray();
        console.MarkupLine($"[bold]Event processors demo[/] [grey]— {actions.Length} actions over {transport.Name} transport, " +
            $"{Markup.Escape(configuration["TableStorage"] ?? "inmemory")} tables[/]");

        await host.StartAsync(cancellationToken);
        var timeline = host.Services.GetRequiredService<TimelineRecorder>();
        var notes = new DemoNotes { OnNote = n => console.MarkupLine($"        [grey]{Markup.Escape(n)}[/]") };
        IReadOnlySet<string> expectedDeadLetters;
        await using (var demo = await DemoContext.StartAsync(transport, timeline, host.Services, TimeProvider.System, cancellationToken))
        {
            foreach (var scenario in DemoScenarios.All.Where(s => only is null || only.Count == 0 || only.Contains(s.Key)))
            {
                console.WriteLine();
                console.Write(new Rule($"[bold]{Markup.Escape(scenario.Title)}[/]").LeftJustified());
                await scenario.Run(demo, notes);
                await TraceFlowsAsync(demo, host.Services.GetRequiredService<EventTracer>(), console, notes, cancellationToken);
            }
            await demo.SettleAsync();
            expectedDeadLetters = demo.ExpectedDeadLetters;
        }
        await host.StopAsync(cancellationToken);
        TelemetrySetup.Flush(host.Services);

        var entries = timeline.Entries;
        if (only is null || only.Count == 0 || only.Contains("order-to-cash"))
        {
            if (!entries.Any(e => e.Kind == TimelineKind.Duplicate)) notes.Miss("a suppressed duplicate");
            if (!entries.Any(e => e.Kind == TimelineKind.DeadLettered)) notes.Miss("a dead letter");
        }
        foreach (var unexpected in entries.Where(e => e.Kind == TimelineKind.DeadLettered && !expectedDeadLetters.Contains(e.CorrelationId ?? "")))
            notes.Miss($"{unexpected.EventType} handled by {unexpected.Actor}, dead-lettered instead: {unexpected.Detail}");
        Summarise(console, entries, notes, clock.Elapsed, deadLetterHint: transport.Name.EndsWith("rabbitmq", StringComparison.Ordinal) ? " [grey](dead-letters list shows it)[/]" : "");
        return notes.Missing.Count == 0 && !entries.Any(e => e.Kind == TimelineKind.Failed) ? 0 : 1;
    }

    /// <summary>Ends a scenario as an operator would check it: the event store's trace of each flow it began.</summary>
    private static async Task TraceFlowsAsync(DemoContext demo, EventTracer tracer, IAnsiConsole console, DemoNotes notes, CancellationToken cancellationToken)
    {
        await demo.SettleAsync();
        foreach (var correlation in demo.TakeFlows())
        {
            // Collector events carry the run's tenant; MES events carry none and are kept under the default tenant.
            var flow = await tracer.TraceAsync(demo.Tenant, correlation, cancellationToken);
            if (flow.Roots.Count == 0) flow = await tracer.TraceAsync(ActionContext.DefaultTenant, correlation, cancellationToken);
            console.MarkupLine($"[grey]events trace {Markup.Escape(correlation)} --tenant {Markup.Escape(flow.Tenant)}[/]");
            EventCommands.Render(console, flow);
            if (flow.Roots.Count == 0) notes.Miss($"the event store's trace of {correlation}");
        }
    }

    private static void Summarise(IAnsiConsole console, IReadOnlyList<TimelineEntry> entries, DemoNotes notes, TimeSpan elapsed, string deadLetterHint)
    {
        console.WriteLine();
        console.Write(new Rule("[bold]Summary[/]").LeftJustified());
        var table = new Table().AddColumns("action", "handled", "duplicates", "dead letters", "follow-ons");
        foreach (var actor in entries.Where(e => e.Actor != "demo").Select(e => e.Actor).Distinct().Order(StringComparer.Ordinal))
        {
            int Count(TimelineKind kind) => entries.Count(e => e.Actor == actor && e.Kind == kind);
            table.AddRow(actor, Count(TimelineKind.Completed).ToString(), Count(TimelineKind.Duplicate).ToString(),
                Count(TimelineKind.DeadLettered).ToString(), Count(TimelineKind.Published).ToString());
        }
        console.Write(table);
        foreach (var dead in entries.Where(e => e.Kind == TimelineKind.DeadLettered))
            console.MarkupLine($"[red]dead letter[/] {Markup.Escape(dead.Actor)}: {Markup.Escape(dead.Detail ?? "")}{deadLetterHint}");
        foreach (var missing in notes.Missing) console.MarkupLine($"[red]missing: {Markup.Escape(missing)}[/]");
        var correlations = entries.Select(e => e.CorrelationId).Where(c => c is not null).Distinct().Count();
        console.MarkupLine($"[bold]{entries.Count(e => e.Kind == TimelineKind.Injected)}[/] events published, " +
            $"[bold]{entries.Count(e => e.Kind == TimelineKind.Completed)}[/] handled, " +
            $"[bold]{entries.Count(e => e.Kind == TimelineKind.Published)}[/] follow-ons, " +
            $"[bold]{entries.Count(e => e.Kind == TimelineKind.Duplicate)}[/] duplicates suppressed, " +
            $"[bold]{entries.Count(e => e.Kind == TimelineKind.DeadLettered)}[/] dead letters, {correlations} correlation ids, in {elapsed.TotalSeconds:0.0} s.");
    }
}
