using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.TestSupport;
using static EventProcessors.Contracts.Tests.TestData;

namespace EventProcessors.Contracts.Tests;

public sealed partial class EventCatalogTests
{
    private static IEnumerable<string> DeclaredTypes() =>
        typeof(EventTypes).GetNestedTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Select(f => (string)f.GetRawConstantValue()!);

    [Fact]
    public void Every_declared_type_has_exactly_one_definition_and_nothing_else_is_defined()
    {
        var declared = DeclaredTypes().ToList();
        Assert.Equal(declared.Count, declared.Distinct().Count());
        Assert.Equal(declared.Order(), EventCatalog.All.Select(d => d.Type).Order());
    }

    [GeneratedRegex(@"^\| `([\w.-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRowType();

    [GeneratedRegex(@"^- `([\w.-]+\.[\w.-]+)`", RegexOptions.Multiline)]
    private static partial Regex BulletType();

    [GeneratedRegex(@"createAndPublishEvent\(\s*'([\w.-]+)'")]
    private static partial Regex PublishedType();

    [Fact]
    public void Every_event_type_the_seed_documents_name_is_declared()
    {
        var named = TableRowType().Matches(SeedDocuments.Read("003_"))
            .Concat(BulletType().Matches(SeedDocuments.Read("000_")))
            .Concat(BulletType().Matches(SeedDocuments.Read("002_")))
            .Concat(PublishedType().Matches(SeedDocuments.Read("002_")))
            .Select(m => m.Groups[1].Value)
            .ToHashSet();
        Assert.Equal(11 + 22 + 5, named.Count); // Collector, MES service lists, manufacturing intelligence
        Assert.Empty(named.Except(DeclaredTypes()));
    }

    [Fact]
    public void Definitions_state_origin_context_and_default_classification()
    {
        Assert.True(EventCatalog.TryGet(EventTypes.Collector.OrderCreated, out var order));
        Assert.Equal((typeof(OrderCreated), EventOrigin.Collector, "orders", DataClassification.Internal),
            (order.PayloadType, order.Origin, order.BoundedContext, order.Classification));

        Assert.True(EventCatalog.TryGet(EventTypes.Collector.PayrollProcessed, out var payroll));
        Assert.Equal(DataClassification.Confidential, payroll.Classification);

        Assert.True(EventCatalog.TryGet(EventTypes.Mes.MaterialIssued, out var issued));
        Assert.Equal((EventOrigin.Mes, "material"), (issued.Origin, issued.BoundedContext));

        Assert.True(EventCatalog.TryGet(EventTypes.ManufacturingIntelligence.QualityMeasurementRecorded, out var measured));
        Assert.Equal(EventOrigin.ManufacturingIntelligence, measured.Origin);

        Assert.False(EventCatalog.TryGet("user.registered", out _));
    }

    private static CloudEvent Event(string type, string data) => new()
    {
        Id = "e-1", Source = "test", Type = type, Data = JsonDocument.Parse(data).RootElement.Clone(),
    };

    [Theory]
    [InlineData(EventTypes.Collector.OrderCreated,
        """{"orderId":"o-1","orderNumber":"ORD-1","customerId":"c-1","currency":"USD","grandTotal":"10","lineItems":[{"productId":"p-1","description":"d","quantity":1,"unitPrice":"10"}]}""",
        "o-1")]
    [InlineData(EventTypes.Collector.StockLow,
        """{"productId":"p-9","productName":"n","sku":"s","warehouseId":"w-1","warehouseName":"W","currentQuantity":1,"minimumThreshold":2,"reorderLevel":3}""",
        "p-9")]
    [InlineData(EventTypes.Mes.MaterialReceived,
        """{"lotNumber":"LOT-7","partId":"P-1","partNumber":"PN-1","quantity":"12.5","receivedAt":"2025-01-01T00:00:00Z","receivedBy":"u"}""",
        "LOT-7")]
    [InlineData(EventTypes.Mes.TraceabilitySerialGenealogyUpdated, """{"serialNumber":"SN-1"}""", "SN-1")]
    [InlineData(EventTypes.ManufacturingIntelligence.EquipmentStatusChanged,
        """{"equipmentId":"equip-9","newStatus":"down","oldStatus":"up"}""", "equip-9")]
    public void The_entity_id_is_the_natural_partition_key_of_the_payload(string type, string data, string entityId)
    {
        var payload = EventCatalog.ReadPayload(Event(type, data));
        Assert.True(payload.IsSuccess, payload.Error?.ToString());
        Assert.Equal(entityId, payload.Value.EntityId);
    }

    [Fact]
    public void Every_payload_reports_its_first_required_field_when_data_is_empty()
    {
        foreach (var definition in EventCatalog.All)
        {
            var firstRequired = ContractJson.Options.GetTypeInfo(definition.PayloadType).Properties.First(p => p.IsRequired).Name;
            Assert.Equal(new EventError(EventErrorCode.MissingField, $"Required field '{firstRequired}' is missing.", $"$.data.{firstRequired}"),
                PayloadError(Event(definition.Type, "{}")));
        }
    }

    [Fact]
    public void Work_order_completed_carries_the_genealogy_fields_when_the_mes_sends_them()
    {
        var p = Payload<WorkOrderCompleted>(Event(EventTypes.Mes.WorkOrderCompleted, """
            {"workOrderId":"wo-1","workOrderNumber":"WO-1","quantityCompleted":10,"quantityRejected":0,
             "completedAt":"2025-10-20T16:30:00Z","completedBy":"u","partId":"P-1","partNumber":"PN-1",
             "producedLotNumber":"LOT-FG-1","producedSerialNumbers":["SN-1","SN-2"],
             "consumedLots":[{"lotNumber":"LOT-RM-1","partId":"P-RM","quantity":"20.5"}]}
            """));
        Assert.Equal(("P-1", "LOT-FG-1"), (p.PartId, p.ProducedLotNumber));
        Assert.Equal(["SN-1", "SN-2"], p.ProducedSerialNumbers!);
        Assert.Equal([new ConsumedLot { LotNumber = "LOT-RM-1", PartId = "P-RM", Quantity = 20.5m }], p.ConsumedLots!);
    }

    // ---- precise payload errors ------------------------------------------------------------------

    private static CloudEvent OfferWith(Action<JsonObject> change)
    {
        var body = JsonNode.Parse(Example("Collector/offer.approved.json"))!.AsObject();
        change(body["data"]!.AsObject());
        return ReadEvent(Utf8(body.ToJsonString()));
    }

    private static JsonObject FirstLine(JsonObject data) => data["lineItems"]![0]!.AsObject();

    [Fact]
    public void A_missing_nested_field_is_named_with_its_full_path() =>
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'quantity' is missing.", "$.data.lineItems[0].quantity"),
            PayloadError(OfferWith(d => FirstLine(d).Remove("quantity"))));

    [Fact]
    public void A_null_required_field_is_missing() =>
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'grandTotal' is null.", "$.data.grandTotal"),
            PayloadError(OfferWith(d => d["grandTotal"] = null)));

    [Fact]
    public void A_null_item_in_a_list_is_missing() =>
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'lineItems[1]' is null.", "$.data.lineItems[1]"),
            PayloadError(OfferWith(d => d["lineItems"]!.AsArray().Add(null))));

    [Fact]
    public void A_number_that_is_a_non_numeric_string_is_mistyped() =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
                "Field 'quantity' must be a number (or a string holding one), but is the string \"five\".", "$.data.lineItems[0].quantity"),
            PayloadError(OfferWith(d => FirstLine(d)["quantity"] = "five")));

    [Fact]
    public void An_unparseable_date_is_mistyped() =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
                "Field 'validUntil' must be an ISO 8601 date-time string, but is the string \"next month\".", "$.data.validUntil"),
            PayloadError(OfferWith(d => d["validUntil"] = "next month")));

    [Fact]
    public void An_object_where_an_array_belongs_is_mistyped() =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'lineItems' must be an array, but is an object.", "$.data.lineItems"),
            PayloadError(OfferWith(d => d["lineItems"] = new JsonObject())));

    [Fact]
    public void A_number_where_a_string_belongs_is_mistyped() =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'offerNumber' must be a string, but is the number 42.", "$.data.offerNumber"),
            PayloadError(OfferWith(d => d["offerNumber"] = 42)));

    [Fact]
    public void A_fraction_where_a_count_belongs_is_mistyped()
    {
        var payroll = JsonNode.Parse(Example("Collector/payroll.processed.json"))!;
        payroll["data"]!["employeeCount"] = 25.5m;
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
                "Field 'employeeCount' must be an integer (or a string holding one), but is the number 25.5.", "$.data.employeeCount"),
            PayloadError(ReadEvent(Utf8(payroll.ToJsonString()))));
    }

    [Theory]
    [InlineData("\"MAYBE\"", "the string \"MAYBE\"")]
    [InlineData("\"fail\"", "the string \"fail\"")]
    [InlineData("1", "the number 1")]
    public void An_inspection_result_other_than_PASS_or_FAIL_is_mistyped(string result, string actual)
    {
        var inspection = JsonNode.Parse(Example("Mes/quality.inspection.completed.json"))!;
        inspection["data"]!["result"] = JsonNode.Parse(result);
        Assert.Equal(new EventError(EventErrorCode.MistypedField, $"Field 'result' must be one of \"PASS\", \"FAIL\", but is {actual}.", "$.data.result"),
            PayloadError(ReadEvent(Utf8(inspection.ToJsonString()))));
    }

    [Fact]
    public void Nested_objects_and_dictionaries_are_checked_too()
    {
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'changes' is missing.", "$.data.changes"),
            PayloadError(Event(EventTypes.Mes.MaterialPartUpdated, """{"partId":"P","partNumber":"PN","partName":"N"}""")));
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'revision' must be a string, but is the number 3.", "$.data.changes.revision"),
            PayloadError(Event(EventTypes.Mes.MaterialPartUpdated, """{"partId":"P","partNumber":"PN","partName":"N","changes":{"revision":3}}""")));
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'changes' must be an object, but is an array.", "$.data.changes"),
            PayloadError(Event(EventTypes.Mes.ResourceWorkCenterUpdated, """{"workCenterId":"wc-1","changes":[]}""")));
    }

    [Fact]
    public void Missing_or_non_object_data_is_reported_at_the_data_path()
    {
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Event type 'stock.low' requires data, but the event has none.", "$.data"),
            PayloadError(new CloudEvent { Id = "e", Source = "s", Type = EventTypes.Collector.StockLow }));
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'data' must be an object, but is an array.", "$.data"),
            PayloadError(Event(EventTypes.Collector.StockLow, "[]")));
    }

    [Fact]
    public void An_unknown_type_is_reported() =>
        Assert.Equal(new EventError(EventErrorCode.UnknownType, "Event type 'stock.teleported' is not in the catalog.", "$.type"),
            PayloadError(Event("stock.teleported", "{}")));

    [Fact]
    public void Asking_for_the_wrong_record_is_a_programming_error()
    {
        var e = ReadEvent(Example("Collector/stock.low.json"));
        var ex = Assert.Throws<ArgumentException>(() => EventCatalog.ReadPayload<OrderCreated>(e));
        Assert.StartsWith("Event type 'stock.low' carries StockLow, not OrderCreated.", ex.Message);
    }

    [Fact]
    public void A_failed_read_throws_the_error_only_when_asked()
    {
        var result = EventCatalog.ReadPayload(Event("stock.teleported", "{}"));
        var ex = Assert.Throws<EventValidationException>(() => result.GetValueOrThrow());
        Assert.Equal(result.Error, ex.Error);
    }

    [Theory]
    [InlineData(EventTypes.Collector.OrderCreated, null, DataClassification.Internal)]
    [InlineData(EventTypes.Collector.OrderCreated, DataClassification.Restricted, DataClassification.Restricted)]
    [InlineData(EventTypes.Collector.EmployeeHired, DataClassification.Public, DataClassification.Confidential)]
    [InlineData("something.unknown", null, DataClassification.Confidential)]
    [InlineData("something.unknown", DataClassification.Restricted, DataClassification.Restricted)]
    public void The_effective_classification_is_the_stricter_of_event_and_catalog(string type, DataClassification? stated, DataClassification expected) =>
        Assert.Equal(expected, EventCatalog.ClassificationOf(new CloudEvent { Id = "e", Source = "s", Type = type, DataClassification = stated }));
}
