using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Actions.Projects;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Sql;

namespace EventProcessors.FunctionApp.Projects;

/// <summary>flows.md <c>CreateResource</c>: queue <c>projects.create-resource</c>; follow-ons (confirmed) to the outbox, retries to its <c>.retry</c> queue, dead letters to <c>projects.create-resource.dead-letter</c>.</summary>
public sealed class CreateResourceFunction(FunctionRunner runner)
{
    public const string Queue = "projects.create-resource";

    [Function("CreateResource")]
    public async Task<CreateResourceOutput> RunAsync(
        [RabbitMQTrigger(Queue, ConnectionStringSetting = Bindings.RabbitMQ)] string message,
        FunctionContext context)
    {
        var outputs = await runner.RunCollectorAsync("CreateResource", message, context).ConfigureAwait(false);
        return new CreateResourceOutput
        {
            Resources = outputs.Rows<Resource>(),
        };
    }
}

/// <summary>The output bindings of <see cref="CreateResourceFunction"/>; null properties emit nothing.</summary>
public sealed class CreateResourceOutput
{
    [SqlOutput("dbo.Resources", Bindings.Sql)]
    public Resource[]? Resources { get; init; }
}
