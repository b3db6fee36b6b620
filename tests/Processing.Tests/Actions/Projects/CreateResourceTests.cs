using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Projects;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.Processing.Tests.Pipeline;
using static EventProcessors.Processing.Tests.Actions.Inventory.InventoryEvents;
using static EventProcessors.Processing.Tests.Actions.OrderToCash.OrderToCashEvents;

namespace EventProcessors.Processing.Tests.Actions.Projects;

/// <summary>The action keeps no state (its record's key is derived), so the in-memory tables of the pipeline suffice.</summary>
public sealed class CreateResourceTests
{
    private const string EmployeeId = "e3000000-0000-4000-8000-000000000001";

    private readonly string _tenant = NewTenant();
    private readonly PipelineHarness _pipeline = Harness(new InMemoryTableServiceClient());

    /// <summary>Seed 003's employee.hired example.</summary>
    private static JsonObject EmployeeHired() => new()
    {
        ["employeeId"] = EmployeeId,
        ["employeeNumber"] = "EMP-001",
        ["firstName"] = "John",
        ["lastName"] = "Doe",
        ["email"] = "john.doe@company.com",
        ["position"] = "Software Engineer",
        ["department"] = "Engineering",
        ["hireDate"] = "2024-01-15T08:00:00.000Z",
    };

    private string Hired(JsonObject employee, string timestamp = "2024-01-15T08:00:00.000Z") =>
        Envelope(EventTypes.Collector.EmployeeHired, _tenant, employee, timestamp);

    private Task<ProcessingResult> Create(JsonObject employee, string timestamp = "2024-01-15T08:00:00.000Z") =>
        _pipeline.ProcessAsync(Hired(employee, timestamp), new CreateResource());

    private Resource Expected => new()
    {
        ResourceId = DerivedIds.Uuid("resource", _tenant, EmployeeId), TenantId = _tenant, EmployeeId = EmployeeId, EmployeeNumber = "EMP-001",
        DisplayName = "John Doe", Email = "john.doe@company.com", Position = "Software Engineer", Department = "Engineering",
        AvailableFrom = new DateTimeOffset(2024, 1, 15, 8, 0, 0, TimeSpan.Zero),
    };

    [Fact]
    public async Task A_new_employee_becomes_an_assignable_resource_from_the_hire_date()
    {
        var result = await Create(EmployeeHired());

        Assert.Equal(ProcessingStatus.Completed, result.Status);
        Assert.Empty(result.Outcome.Events);
        Assert.Equal([Expected], result.Rows<Resource>());
    }

    [Fact]
    public async Task An_employee_without_a_department_is_a_resource_without_one()
    {
        var employee = EmployeeHired();
        employee.Remove("department");

        Assert.Equal([Expected with { Department = null }], (await Create(employee)).Rows<Resource>());
    }

    [Theory]
    [InlineData("email", "not-an-address", "email 'not-an-address' is not an email address.")]
    [InlineData("email", "John <john.doe@company.com>", "email 'John <john.doe@company.com>' is not an email address.")]
    [InlineData("firstName", " ", "firstName must not be blank.")]
    [InlineData("employeeId", "", "employeeId must not be blank.")]
    public async Task Input_that_makes_no_sense_is_dead_lettered(string field, string value, string message)
    {
        var employee = EmployeeHired();
        employee[field] = value;

        var result = await Create(employee);

        Assert.Equal(ProcessingStatus.DeadLettered, result.Status);
        Assert.Equal(new EventError(EventErrorCode.InvalidValue, message, "$.data." + field), result.Error);
    }

    [Fact]
    public async Task A_duplicate_replays_and_a_re_sent_copy_or_a_re_run_writes_the_same_resource()
    {
        var first = await Create(EmployeeHired());

        var duplicate = await Create(EmployeeHired());
        var resent = await Create(EmployeeHired(), "2024-01-15T08:10:00.000Z");
        var rerun = await RunDirectlyAsync(new CreateResource(), Hired(EmployeeHired()));

        Assert.Equal(ProcessingStatus.Duplicate, duplicate.Status);
        Assert.Equal(first.Snapshot(), duplicate.Snapshot());
        Assert.Equal([Expected], resent.Rows<Resource>());
        Assert.Equal(first.Snapshot(), rerun.Snapshot());
    }
}
