using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Projects;
using EventProcessors.Processing.Actions.Projects.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using EventProcessors.TestSupport;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Projects;

public sealed class CreateResourceOnAzurite(AzuriteFixture azurite) : CreateResourceTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class CreateResourceInMemory : CreateResourceTests
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}

public abstract class CreateResourceTests
{
    private readonly string _tenant = NewTenant();

    protected abstract ITableServiceClient Tables { get; }

    private static JsonObject Hired(string position = "Electrician", string email = "ada@example.com") => new()
    {
        ["employeeId"] = "emp-7", ["employeeNumber"] = "E-0007", ["firstName"] = "Ada", ["lastName"] = "Byron", ["email"] = email,
        ["position"] = position, ["department"] = "Field", ["hireDate"] = "2024-02-01T00:00:00Z",
    };

    private Task<ProcessingResult> Hire(JsonObject? hired = null, PipelineHarness? pipeline = null, string timestamp = "2024-01-15T09:00:00.000Z") =>
        (pipeline ?? Harness(Tables)).ProcessAsync(Envelope(EventTypes.Collector.EmployeeHired, _tenant, hired ?? Hired(), timestamp), new CreateResource(Tables));

    private Resource Expected => new()
    {
        ResourceId = "emp-7", TenantId = _tenant, EmployeeNumber = "E-0007", Name = "Ada Byron", Email = "ada@example.com",
        Position = "Electrician", Department = "Field", AvailableFrom = DateTimeOffset.Parse("2024-02-01T00:00:00Z"),
    };

    [Fact]
    public async Task Hired_employee_becomes_an_assignable_resource()
    {
        var result = await Hire();

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal([Expected], result.Rows<Resource>());
        Assert.Equal(Expected, await new Resources(Tables).GetAsync(_tenant, "emp-7"));
    }

    [Fact]
    public async Task Duplicate_replays_re_run_repeats_and_a_re_sent_hire_keeps_the_first_resource()
    {
        var pipeline = Harness(Tables);
        var first = await Hire(pipeline: pipeline);
        var duplicate = await Hire(pipeline: pipeline);
        var rerun = await Hire();
        var resent = await Hire(Hired(email: "changed@example.com"), timestamp: "2024-01-15T10:00:00.000Z");

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
        Assert.Equal([Expected], resent.Rows<Resource>());
    }

    [Fact]
    public async Task Hire_without_a_position_is_dead_lettered()
    {
        var result = await Hire(Hired(position: " "));

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, "position must not be blank.", "$.data.position"), result.Error);
        Assert.Null(await new Resources(Tables).GetAsync(_tenant, "emp-7"));
    }
}
