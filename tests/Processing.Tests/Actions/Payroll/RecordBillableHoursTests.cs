using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Payroll;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Payroll;

public sealed class RecordBillableHoursTests
{
    private const string CompletedAt = "2024-01-15T17:00:00Z";

    private readonly string _tenant = NewTenant();
    private readonly ITableServiceClient _tables = new InMemoryTableServiceClient();
    private readonly PipelineHarness _pipeline;

    public RecordBillableHoursTests() => _pipeline = Harness(_tables);

    private static JsonObject Task_(string? resource = "emp-7", decimal? actual = 6.5m)
    {
        var task = new JsonObject
        {
            ["taskId"] = "task-1", ["taskName"] = "Wire panel", ["projectId"] = "prj-1", ["projectName"] = "Plant B",
            ["estimatedHours"] = 8, ["completedAt"] = CompletedAt,
        };
        if (resource is not null) task["assignedResourceId"] = resource;
        if (actual is not null) task["actualHours"] = actual;
        return task;
    }

    private Task<ProcessingResult> Complete(JsonObject task, PipelineHarness? pipeline = null) =>
        (pipeline ?? _pipeline).ProcessAsync(Envelope(EventTypes.Collector.TaskCompleted, _tenant, task), new RecordBillableHours());

    [Fact]
    public async Task Completed_task_records_its_actual_hours_for_the_assigned_resource()
    {
        var result = await Complete(Task_());

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal(
        [
            new BillableHours
            {
                BillableHoursId = DerivedIds.Uuid("billable-hours", _tenant, "task-1"), TenantId = _tenant, TaskId = "task-1", TaskName = "Wire panel",
                ProjectId = "prj-1", ProjectName = "Plant B", ResourceId = "emp-7", Hours = 6.5m, CompletedAt = DateTimeOffset.Parse(CompletedAt),
            },
        ], result.Rows<BillableHours>());
    }

    [Fact]
    public async Task Without_an_assigned_resource_or_actual_hours_nothing_is_billed()
    {
        var results = new[] { await Complete(Task_(resource: null)), await Complete(Task_(actual: null)), await Complete(Task_(actual: 0m)) };

        Assert.All(results, r =>
        {
            Assert.Equal(ProcessingStatus.Completed, r.Status);
            Assert.True(r.Outcome.IsEmpty);
        });
    }

    [Fact]
    public async Task Duplicate_replays_and_re_run_writes_the_same_row()
    {
        var first = await Complete(Task_());
        var duplicate = await Complete(Task_());
        var rerun = await Complete(Task_(), Harness(_tables));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }

    [Fact]
    public async Task Negative_hours_are_dead_lettered()
    {
        var result = await Complete(Task_(actual: -1m));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "actualHours must not be negative, but is -1.", "$.data.actualHours"), result.Error);
    }
}
