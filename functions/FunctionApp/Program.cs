// Real build mode only (UseFunctionsSurface != true): the isolated worker's entry point.
using Azure.Identity;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);

builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();

// The Application Insights logger provider starts with a Warning-level rule; host.json's logging section
// decides levels instead.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var defaultRule = options.Rules.FirstOrDefault(rule =>
        rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (defaultRule is not null) options.Rules.Remove(defaultRule);
});

// Pipeline, idempotency and state stores (Table Storage from the TableStorage setting, or Entra ID when
// TableStorage:tableServiceUri is set), every consumer action; then the runner and the outbox publisher.
builder.Services.AddEventProcessing(builder.Configuration, new DefaultAzureCredential());
builder.Services.AddFunctionApp(builder.Configuration);

builder.Build().Run();
