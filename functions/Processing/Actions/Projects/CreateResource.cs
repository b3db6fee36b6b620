using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Actions.Projects.State;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Projects;

/// <summary>
/// employee.hired -> a resource projects can assign from the hire date. The first hire event of an employee makes the
/// resource; a later copy finds it and writes the row that stands again, so it never changes or doubles it.
/// </summary>
public sealed class CreateResource(ITableServiceClient tables) : IConsumerAction
{
    private readonly Resources _resources = new(tables);

    public ConsumerDefinition Definition => Consumers.CreateResource;

    public async Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var hired = context.PayloadAs<EmployeeHired>();
        var resource = new Resource
        {
            ResourceId = InputRules.NotBlank(hired.EmployeeId, "$.data.employeeId"),
            TenantId = context.Tenant,
            EmployeeNumber = InputRules.NotBlank(hired.EmployeeNumber, "$.data.employeeNumber"),
            Name = $"{InputRules.NotBlank(hired.FirstName, "$.data.firstName")} {InputRules.NotBlank(hired.LastName, "$.data.lastName")}",
            Email = InputRules.NotBlank(hired.Email, "$.data.email"),
            Position = InputRules.NotBlank(hired.Position, "$.data.position"),
            Department = hired.Department,
            AvailableFrom = hired.HireDate,
        };
        context.Write(await _resources.CreateAsync(context.Tenant, resource, cancellationToken).ConfigureAwait(false));
    }
}
