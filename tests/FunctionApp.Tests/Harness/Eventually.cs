namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>Polls until a probe yields a value (every 100 ms), or fails with what was awaited.</summary>
public static class Eventually
{
    /// <summary>Generous: on a busy shared machine a chain of retries takes many times its nominal length.</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromMinutes(3);

    public static Task<T?> WaitForAsync<T>(Func<T?> probe, string what, TimeSpan? patience = null) where T : class =>
        WaitForAsync(() => Task.FromResult(probe()), what, patience);

    public static async Task<T?> WaitForAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? patience = null)
    {
        var limit = patience ?? DefaultPatience;
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value) return value;
            await Task.Delay(100);
        }
        throw new TimeoutException($"No {what} within {limit}.");
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? patience = null) =>
        WaitForAsync(() => condition() ? "" : null, what, patience);

    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? patience = null) =>
        WaitForAsync(async () => await condition() ? "" : null, what, patience);
}
