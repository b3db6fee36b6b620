using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EventProcessors.TestSupport;

/// <summary>Keeps every formatted log line (with its scopes), so tests can assert what is and is not logged.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly AsyncLocal<Stack<object>> _scopes = new();

    public ConcurrentQueue<(LogLevel Level, string Message, IReadOnlyList<object> Scopes)> Entries { get; } = new();

    public IDisposable BeginScope<TState>(TState state) where TState : notnull
    {
        var stack = _scopes.Value ??= new Stack<object>();
        stack.Push(state);
        return new Pop(stack);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception), _scopes.Value?.ToArray() ?? []));

    public string AllText => string.Join('\n', Entries.Select(e => e.Message));

    private sealed class Pop(Stack<object> stack) : IDisposable
    {
        public void Dispose() => stack.Pop();
    }
}
