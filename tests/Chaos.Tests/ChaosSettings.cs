namespace EventProcessors.Chaos.Tests;

/// <summary>
/// The size of a chaos run, from the environment. <c>CHAOS_SEED</c> reruns a run's workload and fault schedule exactly;
/// <c>CHAOS_SOAK=1</c> makes the soak variant (a longer workload, more kills, a second broker restart and storage pause);
/// <c>CHAOS_OFFERS</c>, <c>CHAOS_WORK_ORDERS</c>, <c>CHAOS_KILLS</c> and <c>CHAOS_WINDOW_SECONDS</c> override single figures.
/// The CI variant's defaults keep the run near 90 s on 2 cores.
/// </summary>
public sealed record ChaosSettings(int Seed, bool Soak, int Offers, int WorkOrders, int Kills, int BrokerRestarts, int StoragePauses, TimeSpan Window,
    int PoisonCopies)
{
    /// <summary>How long after the last fault the run may take to become quiet before it counts as stuck (the soak's backlog is longer).</summary>
    public TimeSpan QuiesceTimeout => TimeSpan.FromMinutes(Soak ? 10 : 4);

    public static ChaosSettings FromEnvironment()
    {
        var soak = Environment.GetEnvironmentVariable("CHAOS_SOAK") is "1" or "true";
        var seed = Int("CHAOS_SEED") ?? Random.Shared.Next(1, 100_000);
        return new ChaosSettings(
            seed,
            soak,
            Offers: Int("CHAOS_OFFERS") ?? (soak ? 1_000 : 120),
            WorkOrders: Int("CHAOS_WORK_ORDERS") ?? (soak ? 400 : 40),
            Kills: Int("CHAOS_KILLS") ?? (soak ? 16 : 6),
            BrokerRestarts: soak ? 2 : 1,
            StoragePauses: soak ? 2 : 1,
            Window: TimeSpan.FromSeconds(Int("CHAOS_WINDOW_SECONDS") ?? (soak ? 150 : 30)),
            PoisonCopies: soak ? 3 : 1);
    }

    private static int? Int(string name) => int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : null;

    public override string ToString() =>
        $"seed {Seed} (CHAOS_SEED={Seed}{(Soak ? " CHAOS_SOAK=1" : "")} reruns it), {(Soak ? "soak" : "CI")} variant: {Offers} offers, {WorkOrders} work orders, " +
        $"{Kills} kills, {BrokerRestarts} broker restart(s), {StoragePauses} storage pause(s) over {Window.TotalSeconds:0} s";
}
