using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Payroll;

/// <summary>task.completed -> a BillableHours record of the task's actual hours for its assigned resource.</summary>
/// <remarks>
/// <para>Billable hours are hours worked by someone. A task without an assigned resource has nobody to bill
/// for, and a task without actual hours (or with zero) has nothing worked to bill; estimates are never billed.
/// Both are normal in project management (the seed calls this reporting optional), so such a task records
/// nothing and is not an error. Negative hours make no sense and are invalid input.</para>
/// <para>No state is needed: the record's key derives from (tenant, task, resource), so a duplicate or a
/// re-sent copy upserts the same row.</para>
/// </remarks>
public sealed class RecordBillableHours : IConsumerAction
{
    public ConsumerDefinition Definition => Consumers.RecordBillableHours;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var task = context.PayloadAs<TaskCompleted>();
        InputRules.NotBlank(task.TaskId, "$.data.taskId");
        InputRules.NotBlank(task.ProjectId, "$.data.projectId");
        if (task.ActualHours is { } actual) InputRules.NotNegative(actual, "$.data.actualHours");
        if (task.EstimatedHours is { } estimated) InputRules.NotNegative(estimated, "$.data.estimatedHours");
        if (string.IsNullOrWhiteSpace(task.AssignedResourceId) || task.ActualHours is not > 0m) return Task.CompletedTask;

        context.Write(new BillableHours
        {
            BillableHoursId = DerivedIds.Uuid("billable-hours", context.Tenant, task.TaskId, task.AssignedResourceId),
            TenantId = context.Tenant,
            ResourceId = task.AssignedResourceId,
            TaskId = task.TaskId,
            TaskName = task.TaskName,
            ProjectId = task.ProjectId,
            ProjectName = task.ProjectName,
            Hours = task.ActualHours.Value,
            EstimatedHours = task.EstimatedHours,
            CompletedAt = task.CompletedAt,
        });
        return Task.CompletedTask;
    }
}
