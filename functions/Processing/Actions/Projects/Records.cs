using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Projects;

/// <summary>
/// A person projects can assign work to. One per employee: the id derives from (tenant, employee id), so a
/// repeated employee.hired upserts the same resource.
/// </summary>
[SqlTable("Resources")]
public sealed record Resource
{
    public required string ResourceId { get; init; }
    public required string TenantId { get; init; }
    public required string EmployeeId { get; init; }
    public required string EmployeeNumber { get; init; }
    public required string DisplayName { get; init; }
    public required string Email { get; init; }
    public required string Position { get; init; }
    public string? Department { get; init; }
    /// <summary>The hire date: work can be assigned from then on.</summary>
    public required DateTimeOffset AvailableFrom { get; init; }
}
