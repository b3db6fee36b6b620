// Real build mode only (UseFunctionsSurface != true): the isolated worker's entry point.
using Azure.Identity;
using EventProcessors.FunctionApp.Hosting;
using EventProcessors.Processing.Hosting;
using EventProcessors.Processing.Telemetry;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

// OpenTelemetry as the Functions team documents it for the isolated worker: UseFunctionsWorkerDefaults (the
// worker's invocation spans, the Functions resource detector, and the capability that stops the host from sending
// the worker's telemetry twice), then the product's traces, metrics and logs to Azure Monitor
// (APPLICATIONINSIGHTS_CONNECTION_STRING) and/or OTLP (OTEL_EXPORTER_OTLP_ENDPOINT). host.json sets telemetryMode.
builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
builder.Services.AddEventProcessorsTelemetry(builder.Configuration, TelemetryHost.FunctionApp);

// Pipeline, idempotency and state stores (Table Storage from the TableStorage setting, or Entra ID when
// TableStorage:tableServiceUri is set), every consumer action; then the runner and the outbox publisher.
builder.Services.AddEventProcessing(builder.Configuration, new DefaultAzureCredential());
builder.Services.AddFunctionApp(builder.Configuration);

builder.Build().Run();
