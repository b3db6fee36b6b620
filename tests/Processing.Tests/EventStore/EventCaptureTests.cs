using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;
using EventProcessors.Processing.EventStore;
using EventProcessors.Processing.Pipeline;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventProcessors.Processing.Tests.EventStore;

/// <summary>What the audit consumer keeps of each message: the classification rule, unreadable input, dead letters of every host.</summary>
public sealed class EventCaptureTests
{
    private const string Secret = "salary-of-employee-4711: 98765.43";
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TransportInfo Collector = new(TransportInfo.CollectorBus, "collector-events", "employee.hired");
    private static readonly string Key = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static InboundMessage Message(string? classification, string id = "evt-1") => new(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["metadata"] = new JsonObject
        {
            ["eventId"] = id, ["eventType"] = "employee.hired", ["eventVersion"] = "1.0", ["correlationId"] = "corr-hr", ["timestamp"] = 1767225600000,
            ["source"] = "hr-service", ["userId"] = "u-9", ["tenantId"] = "acme", ["dataClassification"] = classification, ["partition"] = "emp-4711",
        },
        ["data"] = new JsonObject { ["employeeId"] = "emp-4711", ["note"] = Secret },
    }.ToJsonString()));

    [Theory]
    [InlineData("public", PayloadRetention.Kept)]
    [InlineData("internal", PayloadRetention.Kept)]
    [InlineData(null, PayloadRetention.Kept)]
    [InlineData("confidential", PayloadRetention.Omitted)]
    [InlineData("restricted", PayloadRetention.Omitted)]
    public void Data_is_kept_only_as_its_classification_allows_without_a_key(string? classification, PayloadRetention expected)
    {
        var e = new EventCapture(new EventStoreOptions()).Capture(Message(classification), Collector, Now);

        Assert.Equal(expected, e.Payload);
        Assert.Equal(expected == PayloadRetention.Kept, e.Envelope.Contains(Secret, StringComparison.Ordinal));
        // Who did what, when, to which entity, in which flow: kept for every class.
        Assert.Equal(("acme", "hr-service", "evt-1", "employee.hired", "corr-hr", "emp-4711"), (e.Tenant, e.Source, e.Id, e.Type, e.CorrelationId, e.Entity));
        var envelope = JsonDocument.Parse(e.Envelope).RootElement;
        Assert.Equal("u-9", envelope.GetProperty("userid").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1767225600000), e.OccurredAt);
        Assert.Equal(Now, e.ArrivedAt);
        Assert.Equal(Collector, e.Transport);
    }

    [Fact]
    public void Confidential_data_is_stored_encrypted_with_the_key_and_only_a_holder_of_the_key_reads_it_back()
    {
        var capture = new EventCapture(new EventStoreOptions { ConfidentialDataKey = Key });
        var e = capture.Capture(Message("confidential"), Collector, Now);

        Assert.Equal(PayloadRetention.Encrypted, e.Payload);
        Assert.DoesNotContain(Secret, e.Envelope, StringComparison.Ordinal);
        Assert.DoesNotContain("emp-4711\",\"note", e.Envelope, StringComparison.Ordinal);
        Assert.Equal(Secret, capture.Restore(e)!.Data!.Value.GetProperty("note").GetString());
        Assert.Null(new EventCapture(new EventStoreOptions()).Restore(e));
        // Restricted stays out even with a key.
        Assert.Equal(PayloadRetention.Omitted, capture.Capture(Message("restricted"), Collector, Now).Payload);
        Assert.Throws<ArgumentException>(() => new EventCapture(new EventStoreOptions { ConfidentialDataKey = Convert.ToBase64String(new byte[7]) }));
    }

    [Fact]
    public async Task Payloads_of_confidential_and_restricted_events_never_reach_the_log()
    {
        var logger = new ListLogger<EventRecorder>();
        var recorder = new EventRecorder(new TableEventStore(new InMemoryTableServiceClient(), Options.Create(new EventStoreOptions()), TimeProvider.System),
            new EventCapture(new EventStoreOptions { ConfidentialDataKey = Key }), TimeProvider.System, logger);
        foreach (var (classification, i) in new[] { "confidential", "restricted", "confidential" }.Select((c, i) => (c, i)))
            await recorder.RecordAsync(Message(classification, "evt-" + i), Collector, CancellationToken.None);
        await recorder.RecordAsync(new InboundMessage(Encoding.UTF8.GetBytes("{ not json " + Secret)), Collector, CancellationToken.None);

        Assert.NotEmpty(logger.Entries);
        Assert.DoesNotContain(Secret, logger.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_that_is_no_event_is_kept_as_a_read_error_without_its_body_and_its_copies_are_one_entry()
    {
        var capture = new EventCapture(new EventStoreOptions());
        var body = Encoding.UTF8.GetBytes("{\"hello\": \"" + Secret + "\"}");
        var first = capture.Capture(new InboundMessage(body, Key: "k-1"), Collector, Now);
        var second = capture.Capture(new InboundMessage(body), Collector, Now.AddSeconds(5));

        Assert.Equal(EventCapture.UnreadableType, first.Type);
        Assert.Contains("UnknownShape", first.ReadError);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(ActionContext.DefaultTenant, first.Tenant);
        Assert.Equal("k-1", first.Entity);
        Assert.DoesNotContain(Secret, first.Envelope, StringComparison.Ordinal);
        Assert.Null(capture.Restore(first));
    }

    [Fact]
    public void Dead_letters_of_the_worker_the_broker_and_both_Function_App_buses_are_read_back_to_their_event()
    {
        var capture = new DeadLetterCapture(new EventCapture(new EventStoreOptions()));
        var original = Message("internal");
        var dlx = new TransportInfo(TransportInfo.CollectorBus, "event-processors.dead-letter", "projects.create-resource.dead-letter");

        var byWorker = capture.Capture(original with
        {
            Headers = new Dictionary<string, string> { ["x-dead-letter-consumer"] = "CreateResource", ["x-dead-letter-code"] = "InvalidValue", ["x-dead-letter-reason"] = "InvalidValue at $.data.x: bad" },
        }, dlx, Now);
        Assert.Equal(("acme", "hr-service", "evt-1", "corr-hr", "CreateResource", "InvalidValue", "InvalidValue at $.data.x: bad"),
            (byWorker.Tenant, byWorker.Source, byWorker.EventId, byWorker.CorrelationId, byWorker.Consumer, byWorker.Code, byWorker.Reason));

        var byBroker = capture.Capture(original with
        {
            Headers = new Dictionary<string, string> { ["x-first-death-queue"] = "projects.create-resource", ["x-first-death-reason"] = "delivery_limit" },
        }, dlx, Now);
        Assert.Equal(("CreateResource", "delivery_limit", "evt-1"), (byBroker.Consumer, byBroker.Code, byBroker.EventId));

        var collectorEnvelope = new CollectorDeadLetter(new DeadLetterReason("MissingField", "employeeId is missing", "$.data.employeeId"), "CreateResource",
            "projects.create-resource", Encoding.UTF8.GetString(original.Body.Span), Now).ToJson();
        var byFunctionApp = capture.Capture(new InboundMessage(Encoding.UTF8.GetBytes(collectorEnvelope)), dlx, Now);
        // Stated as the worker's own dead letters state it, with the offending field's path.
        Assert.Equal(("CreateResource", "MissingField", "MissingField at $.data.employeeId: employeeId is missing", "evt-1", "acme"),
            (byFunctionApp.Consumer, byFunctionApp.Code, byFunctionApp.Reason, byFunctionApp.EventId, byFunctionApp.Tenant));

        var kafka = new JsonObject
        {
            ["reason"] = new JsonObject { ["code"] = "RetriesExhausted", ["message"] = "storage unavailable" },
            ["consumer"] = "RecordGenealogy", ["consumerGroup"] = "traceability.record-genealogy", ["attempts"] = 6,
            ["original"] = new JsonObject
            {
                ["topic"] = "mes-events", ["partition"] = 3, ["offset"] = 1234, ["key"] = "emp-4711", ["headers"] = new JsonObject(),
                ["value"] = Encoding.UTF8.GetString(original.Body.Span), ["valueEncoding"] = "utf-8",
            },
            ["receivedAt"] = Now.ToString("O"),
        }.ToJsonString();
        var mes = capture.Capture(new InboundMessage(Encoding.UTF8.GetBytes(kafka)), new TransportInfo(TransportInfo.MesBus, "mes-events.dead-letter", "emp-4711", 0, 9), Now);
        Assert.Equal(("RecordGenealogy", "RetriesExhausted", "storage unavailable", "evt-1", "corr-hr"), (mes.Consumer, mes.Code, mes.Reason, mes.EventId, mes.CorrelationId));
    }
}
