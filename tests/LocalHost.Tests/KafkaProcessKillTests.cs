using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EventProcessors.Contracts;
using EventProcessors.LocalHost.Records;
using EventProcessors.LocalHost.Tests.Support;
using EventProcessors.LocalHost.Timeline;
using EventProcessors.Processing.Actions;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using M = EventProcessors.Contracts.EventTypes.Mes;

namespace EventProcessors.LocalHost.Tests;

/// <summary>
/// <c>serve --kafka</c> as its own process, killed (SIGKILL) after it processed records it never committed; a worker started after
/// it finishes each record exactly once. Tables are Azurite's, shared by both processes as a plant's workers share them.
/// </summary>
public sealed class KafkaProcessKillTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly KafkaMockCluster _cluster = KafkaMockCluster.StartMock(brokers: 1);
    private readonly string _prefix = "k" + Guid.NewGuid().ToString("N")[..10];
    private KafkaTestBed _bed = null!;

    public Task InitializeAsync()
    {
        _cluster.SetGroupConsumerTimeouts(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(300));
        _bed = new KafkaTestBed(_cluster, tables: TableServiceClientFactory.Create(new TableStorageOptions { ConnectionString = azurite.ConnectionString, TableNamePrefix = _prefix }));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _bed.DisposeAsync();
        _cluster.Dispose();
    }

    [Fact]
    public async Task A_serve_process_killed_between_processing_and_commit_has_each_record_done_exactly_once_after_restart()
    {
        var tenant = "tenant-" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(1, 10).Select(i => $"wo-proc-{i}").ToArray();
        foreach (var id in ids)
            await _bed.ProduceAsync(MesEvents.MesEnvelope(M.WorkOrderCompleted, tenant, MesEvents.WorkOrderCompleted(id), "evt-" + id), id);

        using var serve = StartServe();
        try
        {
            var records = new RecordWriter(_bed.Tables);
            var deadline = DateTime.UtcNow + Timeout;
            while (await CountAsync(records) < ids.Length)
            {
                if (DateTime.UtcNow > deadline || serve.HasExited) throw new TimeoutException($"serve created {await CountAsync(records)} of {ids.Length} inspections.");
                await Task.Delay(100);
            }
        }
        finally
        {
            serve.Kill(entireProcessTree: true);
            await serve.WaitForExitAsync();
        }

        // The killed process committed nothing (a commit interval of an hour), so its group starts over from offset 0.
        var successor = await _bed.StartWorkerAsync(_bed.MesActions(nameof(Consumers.CreateInspection)));
        await successor.Timeline.WaitForAsync(t => t.Count(x => x.Kind == TimelineKind.Duplicate) == ids.Length, Timeout, "every record replayed from its record");
        Assert.Empty(successor.Timeline.OfKind(TimelineKind.Completed));
        Assert.Equal(ids.Length, (await successor.Records.ReadAllAsync("Inspections")).Count);
        var followOns = _bed.FollowOns(M.QualityInspectionCreated).Select(r => JsonSerializer.Deserialize<CloudEvent>(r.Message.Value, ContractJson.Options)!.Id);
        Assert.Equal(ids.Length, followOns.Distinct().Count());
        Assert.Empty(_bed.Read(_bed.Options.DeadLetterTopic));
    }

    private static async Task<int> CountAsync(RecordWriter records)
    {
        try
        {
            return (await records.ReadAllAsync("Inspections")).Count;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return 0; // the table does not exist until the first inspection
        }
    }

    private Process StartServe()
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EventProcessors.LocalHost.dll"));
        foreach (var argument in new[] { "serve", "--kafka", _cluster.BootstrapServers, "--transport", "inmemory", "--storage", azurite.ConnectionString })
            start.ArgumentList.Add(argument);
        start.Environment["TableStorage__tableNamePrefix"] = _prefix;
        start.Environment["Processing__IdempotencyTableName"] = _bed.Processing.IdempotencyTableName;
        start.Environment["LocalHost__Kafka__Topic"] = _bed.Options.Topic;
        start.Environment["LocalHost__Kafka__DeadLetterTopic"] = _bed.Options.DeadLetterTopic;
        start.Environment["LocalHost__Kafka__CommitInterval"] = TimeSpan.FromHours(1).ToString("c", CultureInfo.InvariantCulture);
        start.WorkingDirectory = Path.GetTempPath();
        var process = Process.Start(start) ?? throw new InvalidOperationException("serve could not be started");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
