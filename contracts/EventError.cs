namespace EventProcessors.Contracts;

/// <summary>Why an event cannot be processed, ever: the reason a dead letter carries.</summary>
public enum EventErrorCode
{
    /// <summary>The body is not JSON.</summary>
    UnreadableJson,
    /// <summary>JSON, but none of the envelope shapes the platform documents.</summary>
    UnknownShape,
    /// <summary>A required envelope attribute or payload field is absent or null.</summary>
    MissingField,
    /// <summary>A field has the wrong JSON type or an unparseable value (date, number, enum).</summary>
    MistypedField,
    /// <summary>A field is well-typed but makes no sense (negative quantity, unknown product, ...).</summary>
    InvalidValue,
    /// <summary>The event type is not in the catalog.</summary>
    UnknownType,
    /// <summary>The body is over the configured size limit.</summary>
    PayloadTooLarge,
}

/// <summary>A permanent, precise description of what is wrong with an event.</summary>
/// <param name="Code">The category.</param>
/// <param name="Message">Says exactly what is wrong, naming the field where there is one.</param>
/// <param name="Path">JSON path of the offending field, when known (for example <c>$.data.lineItems[0].quantity</c>).</param>
public sealed record EventError(EventErrorCode Code, string Message, string? Path = null)
{
    public override string ToString() => Path is null ? $"{Code}: {Message}" : $"{Code} at {Path}: {Message}";
}

/// <summary>Thrown where an event is permanently invalid; the pipeline turns it into a dead letter.</summary>
public sealed class EventValidationException(EventError error) : Exception(error.ToString())
{
    public EventError Error { get; } = error;

    public static EventValidationException Invalid(string message, string? path = null) =>
        new(new EventError(EventErrorCode.InvalidValue, message, path));
}
