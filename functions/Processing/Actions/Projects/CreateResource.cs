using System.Net.Mail;
using EventProcessors.Contracts;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Processing.Actions.Common;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Actions.Projects;

/// <summary>employee.hired -> the Resources record that makes the new employee assignable to project tasks.</summary>
/// <remarks>
/// The resource is available from the hire date (an employee hired for next month is not assignable today).
/// No state is needed: the key derives from the employee, so a duplicate or a re-sent copy upserts the same row,
/// and a corrected copy updates it. An email address that is not one is invalid input: assignments are sent there.
/// </remarks>
public sealed class CreateResource : IConsumerAction
{
    public ConsumerDefinition Definition => Consumers.CreateResource;

    public Task HandleAsync(ActionContext context, CancellationToken cancellationToken)
    {
        var hired = context.PayloadAs<EmployeeHired>();
        InputRules.NotBlank(hired.EmployeeId, "$.data.employeeId");
        InputRules.NotBlank(hired.EmployeeNumber, "$.data.employeeNumber");
        var firstName = InputRules.NotBlank(hired.FirstName, "$.data.firstName").Trim();
        var lastName = InputRules.NotBlank(hired.LastName, "$.data.lastName").Trim();
        if (!MailAddress.TryCreate(hired.Email, out var email) || email.Address != hired.Email.Trim())
            throw EventValidationException.Invalid($"email '{hired.Email}' is not an email address.", "$.data.email");

        context.Write(new Resource
        {
            ResourceId = DerivedIds.Uuid("resource", context.Tenant, hired.EmployeeId),
            TenantId = context.Tenant,
            EmployeeId = hired.EmployeeId,
            EmployeeNumber = hired.EmployeeNumber,
            DisplayName = $"{firstName} {lastName}",
            Email = email.Address,
            Position = InputRules.NotBlank(hired.Position, "$.data.position"),
            Department = string.IsNullOrWhiteSpace(hired.Department) ? null : hired.Department,
            AvailableFrom = hired.HireDate,
        });
        return Task.CompletedTask;
    }
}
