using System.Net.Sockets;
using Azure;

namespace EventProcessors.Processing.Pipeline;

/// <summary>
/// A store or broker that did not answer (or refused for now): back-pressure for the host, never an attempt
/// against the event. Transports wrap their own connection failures in it so that hosts classify them the same way.
/// </summary>
public class DependencyUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// Classifies failures by their root cause rather than by the wrapper the client happened to throw: Azure.Core's retry
/// gives up with an <see cref="AggregateException"/> of the attempts, HTTP failures arrive inside
/// <see cref="RequestFailedException"/>, sockets inside <see cref="IOException"/>.
/// </summary>
public static class Failures
{
    /// <summary>
    /// Whether the failure means a dependency is unreachable or overloaded: a 408, 429 or 5xx answer, no answer at all
    /// (status 0, HTTP, socket, I/O and timeout failures), or <see cref="DependencyUnavailableException"/>. A
    /// cancellation is one too, unless <paramref name="cancellationToken"/> (the host stopping) asked for it.
    /// </summary>
    public static bool IsOutage(Exception exception, CancellationToken cancellationToken = default) =>
        RootCauses(exception).Any(e => e switch
        {
            DependencyUnavailableException => true,
            RequestFailedException failed => failed.Status is 0 or 408 or 429 or >= 500,
            HttpRequestException or SocketException or TimeoutException or IOException => true,
            OperationCanceledException => !cancellationToken.IsCancellationRequested,
            _ => false,
        });

    /// <summary>
    /// Whether another attempt may succeed: an outage, an action's <see cref="TransientProcessingException"/>, or
    /// another answer of the store (a 409 or 412 lost to contention). Anything else (a bug, bad input) is not.
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken cancellationToken = default) =>
        IsOutage(exception, cancellationToken)
        || RootCauses(exception).Any(e => e is TransientProcessingException or RequestFailedException);

    /// <summary>The exception and everything it wraps: inner exceptions, and each of an aggregate's.</summary>
    public static IEnumerable<Exception> RootCauses(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 64)
        {
            var current = pending.Pop();
            yield return current;
            if (current is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (current.InnerException is { } inner)
                pending.Push(inner);
        }
    }
}
