using System.Text.Json;

namespace EventProcessors.Contracts.Payloads.Mes;

// Seed 001 names these events (ResourceEventTypes, AuthEventTypes) for cache synchronisation and
// shows no payload. They follow its PartUpdatedPayload pattern: the entity id, the changed fields
// and optionally their previous values. The changed fields stay JSON because the documents never
// list the fields of work centers, personnel, products or users.

/// <summary><c>resource.work-center.updated</c>.</summary>
public sealed record WorkCenterUpdated
{
    public required string WorkCenterId { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Changes { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? PreviousValues { get; init; }
}

/// <summary><c>resource.personnel.updated</c>.</summary>
public sealed record PersonnelUpdated
{
    public required string PersonnelId { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Changes { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? PreviousValues { get; init; }
}

/// <summary><c>resource.product.updated</c>.</summary>
public sealed record ProductUpdated
{
    public required string ProductId { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Changes { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? PreviousValues { get; init; }
}

/// <summary><c>auth.user.created</c>.</summary>
public sealed record UserCreated
{
    public required string UserId { get; init; }
    public required string Username { get; init; }
    public string? Email { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public IReadOnlyList<string>? Roles { get; init; }
}

/// <summary><c>auth.user.updated</c>.</summary>
public sealed record UserUpdated
{
    public required string UserId { get; init; }
    public required IReadOnlyDictionary<string, JsonElement> Changes { get; init; }
    public IReadOnlyDictionary<string, JsonElement>? PreviousValues { get; init; }
}

/// <summary><c>auth.user.deleted</c>.</summary>
public sealed record UserDeleted
{
    public required string UserId { get; init; }
}
