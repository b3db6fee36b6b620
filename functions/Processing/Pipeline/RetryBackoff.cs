namespace EventProcessors.Processing.Pipeline;

/// <summary>The wait before the next attempt at an event that asked for a retry, the same in both hosts.</summary>
public static class RetryBackoff
{
    /// <summary>
    /// <paramref name="baseDelay"/> doubled per earlier wait (the first wait is the base), with ±20 % jitter so that
    /// workers do not retry in step, and never more than <paramref name="maxDelay"/>.
    /// </summary>
    public static TimeSpan Delay(TimeSpan baseDelay, int waitsSoFar, TimeSpan maxDelay)
    {
        var exponent = Math.Clamp(waitsSoFar - 1, 0, 30);
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent) * (0.8 + (Random.Shared.NextDouble() * 0.4));
        return TimeSpan.FromTicks((long)Math.Min(ticks, maxDelay.Ticks));
    }
}
