namespace EventProcessors.Contracts.Payloads.Collector;

// Seed 003 schemas 9-11: project management and HR.

/// <summary><c>task.completed</c>: Payroll records billable hours for the assigned resource.</summary>
public sealed record TaskCompleted
{
    public required string TaskId { get; init; }
    public required string TaskName { get; init; }
    public required string ProjectId { get; init; }
    public required string ProjectName { get; init; }
    public string? AssignedResourceId { get; init; }
    public decimal? EstimatedHours { get; init; }
    public decimal? ActualHours { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}

/// <summary><c>employee.hired</c>: Project Management creates an assignable resource.</summary>
public sealed record EmployeeHired
{
    public required string EmployeeId { get; init; }
    public required string EmployeeNumber { get; init; }
    public required string FirstName { get; init; }
    public required string LastName { get; init; }
    public required string Email { get; init; }
    public required string Position { get; init; }
    public string? Department { get; init; }
    public required DateTimeOffset HireDate { get; init; }
}

/// <summary><c>payroll.processed</c>: Accounting posts the payroll expense.</summary>
public sealed record PayrollProcessed
{
    public required string PayrollId { get; init; }
    /// <summary>The month paid, "yyyy-MM" as Collector writes it.</summary>
    public required string PayrollPeriod { get; init; }
    public required decimal TotalAmount { get; init; }
    public required string Currency { get; init; }
    public required int EmployeeCount { get; init; }
    public required DateTimeOffset ProcessedAt { get; init; }
}
