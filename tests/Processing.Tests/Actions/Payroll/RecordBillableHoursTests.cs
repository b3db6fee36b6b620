using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Payroll;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Payroll;

/// <summary>The action keeps no state (its record's key is derived), so the in-memory tables of the pipeline suffice.</summary>
public sealed class RecordBillableHoursTests
{
    private const string TaskId = "7a5c0000-0000-4000-8000-000000000001";
    private const string ResourceId = "4e50c000-0000-4000-8000-000000000001";

    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline = Harness(new InMemoryTableServiceClient());

    /// <summary>Seed 003's task.completed example.</summary>
    private static JsonObject TaskCompleted() => new()
    {
        ["taskId"] = TaskId,
        ["taskName"] = "Implement Feature X",
        ["projectId"] = "b0b00000-0000-4000-8000-000000000001",
        ["projectName"] = "Project Alpha",
        ["assignedResourceId"] = ResourceId,
        ["estimatedHours"] = 8,
        ["actualHours"] = 10,
        ["completedAt"] = "2024-01-15T17:00:00.000Z",
    };

    private string Completed(JsonObject task, string timestamp = "2024-01-15T17:00:00.000Z") =>
        Envelope(EventTypes.Collector.TaskCompleted, _tenant, task, timestamp);

    private Task<ProcessingResult> Record(JsonObject task, string timestamp = "2024-01-15T17:00:00.000Z") =>
        _pipeline.ProcessAsync(Completed(task, timestamp), new RecordBillableHours());

    [Fact]
    public async Task Seed_task_records_its_actual_hours_for_the_assigned_resource()
    {
        var result = await Record(TaskCompleted());

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal(
        [
            new BillableHours
            {
                BillableHoursId = DerivedIds.Uuid("billable-hours", _tenant, TaskId, ResourceId), TenantId = _tenant, ResourceId = ResourceId,
                TaskId = TaskId, TaskName = "Implement Feature X", ProjectId = "b0b00000-0000-4000-8000-000000000001", ProjectName = "Project Alpha",
                Hours = 10m, EstimatedHours = 8m, CompletedAt = new DateTimeOffset(2024, 1, 15, 17, 0, 0, TimeSpan.Zero),
            },
        ], result.Rows<BillableHours>());
    }

    [Theory]
    [InlineData("assignedResourceId")]
    [InlineData("actualHours")]
    public async Task A_task_without_an_assigned_resource_or_actual_hours_bills_nothing(string missing)
    {
        var task = TaskCompleted();
        task.Remove(missing);

        var result = await Record(task);

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.True(result.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Zero_actual_hours_bill_nothing_and_an_estimate_is_never_billed()
    {
        var task = TaskCompleted();
        task["actualHours"] = 0;

        var result = await Record(task);

        Assert.True(result.Outcome.IsEmpty);
    }

    [Fact]
    public async Task Fractional_hours_are_kept_and_a_missing_estimate_stays_empty()
    {
        var task = TaskCompleted();
        task["actualHours"] = "7.25";
        task.Remove("estimatedHours");

        var row = Assert.Single((await Record(task)).Rows<BillableHours>());

        Assert.Equal((7.25m, (decimal?)null), (row.Hours, row.EstimatedHours));
    }

    [Theory]
    [InlineData("actualHours", "actualHours must not be negative, but is -1.")]
    [InlineData("estimatedHours", "estimatedHours must not be negative, but is -1.")]
    public async Task Negative_hours_are_dead_lettered(string field, string message)
    {
        var task = TaskCompleted();
        task[field] = -1;

        var result = await Record(task);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data." + field), result.Error);
    }

    [Fact]
    public async Task A_duplicate_replays_and_a_re_sent_copy_or_a_re_run_writes_the_same_row()
    {
        var first = await Record(TaskCompleted());

        var duplicate = await Record(TaskCompleted());
        var resent = await Record(TaskCompleted(), "2024-01-15T17:05:00.000Z");
        var rerun = await RunDirectlyAsync(new RecordBillableHours(), Completed(TaskCompleted()));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Rows<BillableHours>(), resent.Rows<BillableHours>());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }
}
