namespace EventProcessors.Chaos.Tests;

public enum FaultKind { Kill, Join, BrokerRestart, StoragePause }

/// <summary>One fault at a point of the publishing window; <see cref="Worker"/> names the slot a kill hits (0 = w1).</summary>
public sealed record Fault(TimeSpan At, FaultKind Kind, int Worker = -1)
{
    public override string ToString() => Kind switch
    {
        FaultKind.Kill => $"kill -9 w{Worker + 1} (restarted 0.2-2 s later)",
        FaultKind.Join => $"w{Worker + 1} joins while the others drain",
        FaultKind.BrokerRestart => "RabbitMQ restart (3 s down)",
        _ => "storage pause (SIGSTOP 8 s)",
    };
}

/// <summary>
/// The seeded fault schedule: kills spread over the publishing window (a worker at random among those running, so also the one
/// that joined), a third worker joining in the window's middle third, broker restarts and storage pauses. Faults overlap when
/// their times do (a kill during a storage pause, a restart while the broker is down): each runs on its own.
/// </summary>
public static class FaultSchedule
{
    public const int InitialWorkers = 2;

    public static IReadOnlyList<Fault> Create(ChaosSettings settings, Random random)
    {
        var window = settings.Window;
        var join = window * (1 / 3.0 + (random.NextDouble() / 3));
        var faults = new List<Fault> { new(join, FaultKind.Join, InitialWorkers) };
        for (var i = 0; i < settings.Kills; i++)
        {
            var at = TimeSpan.FromSeconds(1) + ((window - TimeSpan.FromSeconds(1)) * random.NextDouble());
            faults.Add(new(at, FaultKind.Kill, random.Next(0, at > join ? InitialWorkers + 1 : InitialWorkers)));
        }
        for (var i = 0; i < settings.BrokerRestarts; i++) faults.Add(new(window * random.NextDouble(), FaultKind.BrokerRestart));
        for (var i = 0; i < settings.StoragePauses; i++) faults.Add(new(window * random.NextDouble(), FaultKind.StoragePause));
        faults.Sort((a, b) => a.At.CompareTo(b.At));
        return faults;
    }
}
