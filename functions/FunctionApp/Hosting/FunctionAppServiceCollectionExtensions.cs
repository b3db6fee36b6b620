using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace EventProcessors.FunctionApp.Hosting;

public static class FunctionAppServiceCollectionExtensions
{
    /// <summary>
    /// What the function classes need besides <c>AddEventProcessing</c>: the shared runner with its
    /// <see cref="FunctionAppOptions"/> (section <c>FunctionApp</c>) and the confirmed publisher (follow-ons, retries, dead letters, the outbox router). Function
    /// classes themselves are created by the worker per invocation.
    /// </summary>
    public static IServiceCollection AddFunctionApp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FunctionAppOptions>().Bind(configuration.GetSection(FunctionAppOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FunctionRunner>();
        services.TryAddSingleton<Audit.AuditRunner>();
        services.TryAddSingleton<IConfirmedPublisher, RabbitMQConfirmedPublisher>();
        return services;
    }
}
