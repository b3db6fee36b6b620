using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Payroll;

/// <summary>
/// task.completed -> the actual hours of the task, billable to its assigned resource. A task without an assigned
/// resource, or without actual hours (or zero of them), has nothing to bill: the event completes with no record,
/// since estimates are not billed and hours without someone who worked them cannot be. Negative hours are invalid.
/// The row is keyed by task, so a repeated completion of the same task overwrites rather than doubles.
/// </summary>
public sealed class RecordBillableHours : IConsumerAction
{
    public ConsumerDefinition Definition => Consumers.RecordBillableHours;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var task = context.PayloadAs<TaskCompleted>();
        InputRules.NotBlank(task.TaskId, "$.data.taskId");
        InputRules.NotBlank(task.ProjectId, "$.data.projectId");
        if (task.ActualHours is { } actual) InputRules.NotNegative(actual, "$.data.actualHours");
        if (string.IsNullOrWhiteSpace(task.AssignedResourceId) || task.ActualHours is not > 0) return Task.CompletedTask;

        context.Write(new BillableHours
        {
            BillableHoursId = DerivedIds.Uuid("billable-hours", context.Tenant, task.TaskId),
            TenantId = context.Tenant,
            TaskId = task.TaskId,
            TaskName = task.TaskName,
            ProjectId = task.ProjectId,
            ProjectName = task.ProjectName,
            ResourceId = task.AssignedResourceId,
            Hours = task.ActualHours.Value,
            CompletedAt = task.CompletedAt,
        });
        return Task.CompletedTask;
    }
}
