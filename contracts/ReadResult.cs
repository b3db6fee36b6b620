using System.Diagnostics.CodeAnalysis;

namespace EventProcessors.Contracts;

/// <summary>The outcome of reading untrusted input: the value, or exactly what is wrong with it.</summary>
public sealed record ReadResult<T> where T : class
{
    private ReadResult(T? value, EventError? error) => (Value, Error) = (value, error);

    public T? Value { get; }
    public EventError? Error { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static ReadResult<T> Success(T value) => new(value, null);
    public static ReadResult<T> Failure(EventError error) => new(null, error);

    /// <summary>The value, or an <see cref="EventValidationException"/> carrying the error.</summary>
    public T GetValueOrThrow() => IsSuccess ? Value : throw new EventValidationException(Error);
}
