using EventProcessors.LocalHost.Timeline;
using Spectre.Console;

namespace EventProcessors.LocalHost.Demo;

/// <summary>Prints each hop as it happens: time, what happened, which action, which event, its correlation id.</summary>
public sealed class ConsoleTimeline(IAnsiConsole console, DateTimeOffset start) : ITimelineObserver
{
    private readonly object _gate = new();

    public void Record(TimelineEntry e)
    {
        var (glyph, colour, text) = e.Kind switch
        {
            TimelineKind.Injected => ("▶", "aqua", $"publish [bold]{Esc(e.EventType)}[/]" + (e.Detail is null ? "" : $" [grey]({Esc(e.Detail)})[/]")),
            TimelineKind.Completed => ("✔", "green", $"{Esc(e.Actor)} handled [bold]{Esc(e.EventType)}[/] [grey]{Esc(e.Detail)}{Attempts(e)}[/]"),
            TimelineKind.Published => ("  ↳", "blue", $"{Esc(e.EventType)} [grey]→ {Esc(e.Exchange)}  id {Short(e.EventId)}[/]"),
            TimelineKind.Duplicate => ("⟳", "yellow", $"{Esc(e.Actor)} suppressed duplicate [bold]{Esc(e.EventType)}[/] [grey]{Short(e.EventId)} (recorded outcome replayed, action not run)[/]"),
            TimelineKind.DeadLettered => ("✖", "red", $"{Esc(e.Actor)} dead-lettered [bold]{Esc(e.EventType)}[/]: {Esc(e.Detail)}"),
            TimelineKind.Retrying => ("…", "orange1", $"{Esc(e.Actor)} retrying {Esc(e.EventType)}: {Esc(e.Detail)}"),
            TimelineKind.Requeued => ("↺", "orange1", $"{Esc(e.Actor)} requeued {Esc(e.EventType)}: {Esc(e.Detail)}"),
            TimelineKind.Held => ("⏸", "orange1", $"{Esc(e.Actor)} holds {Esc(e.EventType)}: {Esc(e.Detail)}"),
            TimelineKind.Failed => ("!", "red", $"{Esc(e.Actor)} failed on {Esc(e.EventType)}: {Esc(e.Detail)}"),
            _ => (null, "grey", ""),
        };
        if (glyph is null) return; // Received and Ignored are noise in a live view.
        var elapsed = (e.At - start).TotalSeconds;
        lock (_gate)
            console.MarkupLine($"[grey]{elapsed,7:0.000}s[/] [{colour}]{glyph}[/] {text} [grey]corr={Esc(e.CorrelationId)}[/]");
    }

    private static string Attempts(TimelineEntry e) => e.Attempt > 1 ? $", attempt {e.Attempt}" : "";

    private static string Short(string? id) => id is null ? "" : Esc(id.Length > 8 ? id[..8] : id);

    private static string Esc(string? text) => Markup.Escape(text ?? "");
}
