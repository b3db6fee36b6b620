using System.Text;
using System.Text.Json;
using static EventProcessors.Contracts.Tests.TestData;

namespace EventProcessors.Contracts.Tests;

public sealed class EnvelopeWriterTests
{
    private static readonly CloudEvent Full = new()
    {
        Id = "evt-1", Source = "inventory-service", Type = "stock.low", Time = At("2024-01-15T09:00:00.123+01:00"),
        DataContentType = "application/json", DataSchema = "https://schemas.example/stock.low/1", Subject = "p-1",
        CorrelationId = "corr-1", CausationId = "evt-0", TenantId = "tenant-123", UserId = "user-1", SessionId = "sess-1",
        DataClassification = DataClassification.Confidential, PartitionKey = "p-1", Priority = EventPriority.Critical,
        DataVersion = "2", TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceState = "k=v",
        Data = JsonDocument.Parse("""{"productId":"p-1","currentQuantity":"5"}""").RootElement.Clone(),
    };

    [Fact]
    public void Kafka_binary_mode_uses_ce_headers_a_content_type_header_and_the_partition_key_as_record_key()
    {
        var message = EnvelopeWriter.ToBinaryMode(Full, BinaryModeBinding.Kafka);
        Assert.Equal(new Dictionary<string, string>
        {
            ["ce_specversion"] = "1.0", ["ce_id"] = "evt-1", ["ce_source"] = "inventory-service", ["ce_type"] = "stock.low",
            ["ce_time"] = "2024-01-15T09:00:00.1230000+01:00", ["ce_dataschema"] = "https://schemas.example/stock.low/1",
            ["ce_subject"] = "p-1", ["ce_correlationid"] = "corr-1", ["ce_causationid"] = "evt-0", ["ce_tenantid"] = "tenant-123",
            ["ce_userid"] = "user-1", ["ce_sessionid"] = "sess-1", ["ce_dataclassification"] = "confidential",
            ["ce_priority"] = "critical", ["ce_dataversion"] = "2",
            ["ce_traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ["ce_tracestate"] = "k=v",
            ["content-type"] = "application/json",
        }, message.Headers.ToDictionary());
        Assert.Equal(("p-1", "application/json"), (message.Key, message.ContentType));
        Assert.Equal("""{"productId":"p-1","currentQuantity":"5"}""", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Fact]
    public void Amqp_binary_mode_uses_cloudEvents_properties_and_keeps_the_partition_key_as_one()
    {
        var message = EnvelopeWriter.ToBinaryMode(Full, BinaryModeBinding.Amqp);
        Assert.All(message.Headers.Keys, name => Assert.StartsWith("cloudEvents_", name));
        Assert.Equal("p-1", message.Headers["cloudEvents_partitionkey"]);
        Assert.Equal(("evt-1", (string?)null), (message.Headers["cloudEvents_id"], message.Key));
    }

    [Theory]
    [InlineData(BinaryModeBinding.Kafka)]
    [InlineData(BinaryModeBinding.Amqp)]
    public void Binary_mode_reads_back_to_an_equal_event(BinaryModeBinding binding)
    {
        Assert.Equal(Full, ReadEvent(EnvelopeWriter.ToBinaryMode(Full, binding).ToInbound()));

        var noData = Full with { Data = null, PartitionKey = null, Time = null };
        var message = EnvelopeWriter.ToBinaryMode(noData, binding);
        Assert.True(message.Body.IsEmpty);
        Assert.Equal(noData, ReadEvent(message.ToInbound()));
    }

    [Fact]
    public void Structured_json_reads_back_to_an_equal_event() =>
        Assert.Equal(Full, ReadEvent(Full.ToJsonBytes()));

    [Theory]
    [InlineData(BinaryModeBinding.Kafka)]
    [InlineData(BinaryModeBinding.Amqp)]
    public void Every_seed_example_written_in_binary_mode_reads_back_equal(BinaryModeBinding binding)
    {
        foreach (var file in Directory.EnumerateFiles(ExamplesDirectory, "*.json", SearchOption.AllDirectories))
        {
            var original = ReadEvent(File.ReadAllBytes(file));
            Assert.Equal(original, ReadEvent(EnvelopeWriter.ToBinaryMode(original, binding).ToInbound()));
        }
    }
}

public sealed class CloudEventEqualityTests
{
    private static CloudEvent With(string data) => new()
    {
        Id = "e-1", Source = "s", Type = "t", Data = JsonDocument.Parse(data).RootElement.Clone(),
    };

    [Fact]
    public void Events_with_the_same_json_data_are_equal_whatever_its_formatting()
    {
        Assert.Equal(With("""{"a":1,"b":[1,2]}"""), With("""{ "b" : [1, 2], "a" : 1 }"""));
        Assert.Equal(With("""{"a":1}""").GetHashCode(), With("""{ "a": 1 }""").GetHashCode());
    }

    [Fact]
    public void Events_differing_in_data_or_any_attribute_are_not_equal()
    {
        var e = With("""{"a":1}""");
        Assert.NotEqual(e, With("""{"a":2}"""));
        Assert.NotEqual(e, e with { Data = null });
        Assert.NotEqual(e, e with { TenantId = "other" });
        Assert.NotEqual(e, e with { Priority = EventPriority.Low });
        Assert.NotEqual(e, e with { TraceState = "x" });
    }
}
