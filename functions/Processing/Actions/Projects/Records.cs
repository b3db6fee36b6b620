using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Projects;

/// <summary>An employee as a resource projects can assign; the resource id is the employee id, as task assignments name it.</summary>
[SqlTable("Resources")]
public sealed record Resource
{
    public required string ResourceId { get; init; }
    public required string TenantId { get; init; }
    public required string EmployeeNumber { get; init; }
    public required string Name { get; init; }
    public required string Email { get; init; }
    public required string Position { get; init; }
    public string? Department { get; init; }
    public required DateTimeOffset AvailableFrom { get; init; }
}
