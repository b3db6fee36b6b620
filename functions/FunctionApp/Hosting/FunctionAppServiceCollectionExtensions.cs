using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EventProcessors.FunctionApp.Hosting;

public static class FunctionAppServiceCollectionExtensions
{
    /// <summary>
    /// What the function classes need besides <c>AddEventProcessing</c>: the shared runner and the outbox
    /// router's publisher. Function classes themselves are created by the worker per invocation.
    /// </summary>
    public static IServiceCollection AddFunctionApp(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionRunner>();
        services.TryAddSingleton<IOutboxPublisher, RabbitMQOutboxPublisher>();
        return services;
    }
}
