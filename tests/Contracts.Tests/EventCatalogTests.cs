using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using EventProcessors.Contracts.Payloads.Collector;
using EventProcessors.Contracts.Payloads.Mes;
using EventProcessors.TestSupport;

namespace EventProcessors.Contracts.Tests;

/// <summary>
/// The catalog knows every event type the seed documents and flows.md name, reads each of them, and reports
/// wrong types, missing fields and unknown types with their error code and JSON path.
/// </summary>
public sealed partial class EventCatalogTests
{
    private static readonly EnvelopeReader Reader = new();

    private static readonly (Type Class, EventOrigin Origin)[] Origins =
    [
        (typeof(EventTypes.Collector), EventOrigin.Collector),
        (typeof(EventTypes.Mes), EventOrigin.Mes),
        (typeof(EventTypes.ManufacturingIntelligence), EventOrigin.ManufacturingIntelligence),
    ];

    private static IEnumerable<(string Type, EventOrigin Origin)> Declared() =>
        Origins.SelectMany(o => o.Class.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => ((string)f.GetRawConstantValue()!, o.Origin)));

    public static TheoryData<string> DefinedTypes()
    {
        var data = new TheoryData<string>();
        foreach (var d in EventCatalog.Definitions.OrderBy(d => d.Type, StringComparer.Ordinal)) data.Add(d.Type);
        return data;
    }

    // ---- completeness ---------------------------------------------------------------------------------

    [Fact]
    public void Every_declared_type_has_exactly_one_definition_of_its_origin_and_nothing_else_is_defined()
    {
        var declared = Declared().ToList();
        Assert.Equal(declared.Count, declared.Select(d => d.Type).Distinct().Count());
        Assert.Equal(declared.Order(), EventCatalog.Definitions.Select(d => (d.Type, d.Origin)).Order());
    }

    [GeneratedRegex(@"^\| `([\w.-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRowType();

    [GeneratedRegex(@"^- `([\w-]+\.[\w.-]+)`", RegexOptions.Multiline)]
    private static partial Regex BulletType();

    [GeneratedRegex(@"createAndPublishEvent\(\s*'([\w.-]+)'")]
    private static partial Regex PublishedType();

    [Fact]
    public void Every_event_type_string_the_seed_documents_name_is_known()
    {
        var collector = TableRowType().Matches(SeedDocuments.Read("003_")).Select(m => m.Groups[1].Value).ToHashSet();
        var mes = BulletType().Matches(SeedDocuments.Read("000_")).Select(m => m.Groups[1].Value).ToHashSet();
        var intelligence = BulletType().Matches(SeedDocuments.Read("002_")).Concat(PublishedType().Matches(SeedDocuments.Read("002_")))
            .Select(m => m.Groups[1].Value).ToHashSet();

        // The counts keep the patterns honest: a pattern that stopped matching would make this test vacuous.
        Assert.Equal((11, 22, 5), (collector.Count, mes.Count, intelligence.Count));
        Assert.All(collector, t => Assert.Equal(EventOrigin.Collector, Definition(t).Origin));
        Assert.All(mes, t => Assert.Equal(EventOrigin.Mes, Definition(t).Origin));
        Assert.All(intelligence, t => Assert.Equal(EventOrigin.ManufacturingIntelligence, Definition(t).Origin));
    }

    [GeneratedRegex(@"\b(?<class>[A-Z][A-Za-z]*EventTypes|EventTypes)\.(?<name>[A-Z_]+)\b")]
    private static partial Regex TypeConstant();

    /// <summary>
    /// Seeds 000 and 001 name some types only by constant. The strings are main's reading of them (see EventTypes):
    /// the ones seed 000 also spells out, and the &lt;domain&gt;.&lt;entity&gt;.&lt;action&gt; convention for the rest.
    /// </summary>
    private static readonly Dictionary<string, string> ConstantStrings = new()
    {
        ["EventTypes.WORK_ORDER_CREATED"] = "work-order.created",
        ["EventTypes.WORK_ORDER_COMPLETED"] = "work-order.completed",
        ["EventTypes.QUALITY_INSPECTION_COMPLETED"] = "quality.inspection.completed",
        ["MaterialEventTypes.PART_CREATED"] = "material.part.created",
        ["MaterialEventTypes.PART_UPDATED"] = "material.part.updated",
        ["MaterialEventTypes.PART_DELETED"] = "material.part.deleted",
        ["MaterialEventTypes.LOT_CREATED"] = "material.lot.created",
        ["MaterialEventTypes.SERIAL_CREATED"] = "material.serial.generated",
        ["ResourceEventTypes.WORK_CENTER_UPDATED"] = "resource.work-center.updated",
        ["ResourceEventTypes.PERSONNEL_UPDATED"] = "resource.personnel.updated",
        ["ResourceEventTypes.PRODUCT_UPDATED"] = "resource.product.updated",
        ["AuthEventTypes.USER_CREATED"] = "auth.user.created",
        ["AuthEventTypes.USER_UPDATED"] = "auth.user.updated",
        ["AuthEventTypes.USER_DELETED"] = "auth.user.deleted",
        ["WorkOrderEventTypes.WORK_ORDER_CREATED"] = "work-order.created",
        ["WorkOrderEventTypes.WORK_ORDER_STATUS_CHANGED"] = "work-order.status.changed",
        ["WorkOrderEventTypes.WORK_ORDER_COMPLETED"] = "work-order.completed",
        ["QualityEventTypes.INSPECTION_COMPLETED"] = "quality.inspection.completed",
        ["QualityEventTypes.NCR_CREATED"] = "quality.ncr.created",
    };

    [Fact]
    public void Every_event_type_constant_of_seeds_000_and_001_is_known_as_an_mes_type()
    {
        var constants = TypeConstant().Matches(SeedDocuments.Read("000_") + SeedDocuments.Read("001_"))
            .Select(m => m.Value).ToHashSet();

        Assert.Equal(ConstantStrings.Keys.Order(), constants.Order());
        Assert.All(ConstantStrings.Values, t => Assert.Equal(EventOrigin.Mes, Definition(t).Origin));
    }

    [GeneratedRegex(@"^\| [A-Za-z]+ \| [^|]+ \| (?<consumes>[^|]+) \| [^|]+ \| (?<emits>[^|]+) \|$", RegexOptions.Multiline)]
    private static partial Regex FlowRow();

    [GeneratedRegex(@"[a-z][\w-]*(?:\.[\w-]+)+")]
    private static partial Regex TypeName();

    [Fact]
    public void Every_event_type_flows_md_consumes_or_emits_is_known()
    {
        var flows = File.ReadAllText(Path.Combine(SeedDocuments.Directory, "..", "reference", "flows.md"));
        var named = FlowRow().Matches(flows)
            .SelectMany(m => TypeName().Matches(m.Groups["consumes"].Value + " " + m.Groups["emits"].Value))
            .Select(m => m.Value)
            .ToHashSet();

        Assert.Equal(31, named.Count); // every distinct type of the 22 action rows
        Assert.All(named, t => Assert.True(EventCatalog.IsKnown(t), $"flows.md names {t}, which the catalog does not know"));
    }

    [Theory]
    [InlineData("user.registered")]
    [InlineData("payment.processed")]
    [InlineData("order.completed")]
    public void Seed_004_placeholder_types_are_deliberately_unknown(string type)
    {
        // EventTypes: they illustrate "my-service" of another product; no flow of ours publishes or consumes them.
        Assert.Contains($"'{type}'", SeedDocuments.Read("004_"), StringComparison.Ordinal);
        Assert.False(EventCatalog.IsKnown(type));
    }

    private static EventDefinition Definition(string type)
    {
        Assert.True(EventCatalog.TryGet(type, out var definition), $"{type} is not in the catalog");
        return definition;
    }

    // ---- every known type reads -----------------------------------------------------------------------

    /// <summary>
    /// A payload with every field of the record's contract set to a valid value (strings are "&lt;field&gt;-1", so
    /// the entity id shows which field it came from), wrapped in the envelope its origin uses.
    /// </summary>
    private static string ValidEnvelope(EventDefinition d, JsonNode data) => d.Origin switch
    {
        EventOrigin.Collector => new JsonObject
        {
            ["type"] = d.Type, ["timestamp"] = "2025-01-01T00:00:00Z", ["tenantId"] = "tenant-123", ["source"] = "test-service", ["data"] = data,
        }.ToJsonString(),
        EventOrigin.Mes => new JsonObject
        {
            ["type"] = d.Type, ["meta"] = new JsonObject { ["eventId"] = "e-1", ["source"] = "test-service", ["timestamp"] = "2025-01-01T00:00:00Z" },
            ["data"] = data,
        }.ToJsonString(),
        _ => new JsonObject
        {
            ["id"] = "e-1", ["type"] = d.Type, ["source"] = "test-service", ["timestamp"] = "2025-01-01T00:00:00Z", ["payload"] = data,
        }.ToJsonString(),
    };

    private static JsonNode? ValidValue(JsonTypeInfo info, string name)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (type == typeof(JsonElement)) return JsonValue.Create(name + "-1");
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                var obj = new JsonObject();
                foreach (var p in info.Properties) obj[p.Name] = ValidValue(info.Options.GetTypeInfo(p.PropertyType), p.Name);
                return obj;
            case JsonTypeInfoKind.Enumerable:
                return new JsonArray(ValidValue(info.Options.GetTypeInfo(info.ElementType!), name));
            case JsonTypeInfoKind.Dictionary:
                return new JsonObject { ["key"] = ValidValue(info.Options.GetTypeInfo(info.ElementType!), name) };
        }
        if (type == typeof(string)) return JsonValue.Create(name + "-1");
        if (type == typeof(bool)) return JsonValue.Create(true);
        if (type == typeof(DateTimeOffset)) return JsonValue.Create("2025-01-01T00:00:00Z");
        if (type == typeof(int) || type == typeof(long) || type == typeof(decimal)) return JsonValue.Create(3);
        if (type.IsEnum) return JsonValue.Create(type.GetFields(BindingFlags.Public | BindingFlags.Static)[0].GetCustomAttribute<JsonStringEnumMemberNameAttribute>()!.Name);
        throw new NotSupportedException($"No sample value for {type.Name}; extend the generator.");
    }

    private static JsonObject ValidData(EventDefinition d) => ValidValue(ContractJson.Options.GetTypeInfo(d.PayloadType), "")!.AsObject();

    private static CloudEvent ReadEnvelope(string json)
    {
        var result = Reader.Read(new InboundMessage(Encoding.UTF8.GetBytes(json)));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    private static EventError PayloadError(EventDefinition d, JsonNode data)
    {
        var e = ReadEnvelope(ValidEnvelope(d, data));
        Assert.False(EventCatalog.TryReadPayload(e, out _, out var error), "the catalog accepted an invalid payload");
        return error;
    }

    [Theory]
    [MemberData(nameof(DefinedTypes))]
    public void Every_known_type_reads_from_its_origins_envelope_with_its_natural_entity_id(string type)
    {
        var d = Definition(type);
        var e = ReadEnvelope(ValidEnvelope(d, ValidData(d)));

        Assert.Equal(type, e.Type);
        Assert.True(EventCatalog.TryReadPayload(e, out var payload, out var error), error?.ToString());
        Assert.IsType(d.PayloadType, payload);
        // Every string field holds "<field>-1": the entity id must be one of them, and an id or number field.
        Assert.Matches("^[a-z][A-Za-z]*(Id|Number)-1$", d.EntityIdOf(payload));
    }

    [Fact]
    public void Only_the_fields_the_contract_requires_are_needed()
    {
        foreach (var d in EventCatalog.Definitions)
        {
            var data = ValidData(d);
            foreach (var p in ContractJson.Options.GetTypeInfo(d.PayloadType).Properties.Where(p => !p.IsRequired)) data.Remove(p.Name);
            var e = ReadEnvelope(ValidEnvelope(d, data));
            Assert.True(EventCatalog.TryReadPayload(e, out _, out var error), $"{d.Type}: {error}");
        }
    }

    // ---- precise errors, for every known type --------------------------------------------------------

    public static TheoryData<string, string> RequiredFields() => Fields(requiredOnly: true);

    public static TheoryData<string, string> AllFields() => Fields(requiredOnly: false);

    private static TheoryData<string, string> Fields(bool requiredOnly)
    {
        var data = new TheoryData<string, string>();
        foreach (var d in EventCatalog.Definitions.OrderBy(d => d.Type, StringComparer.Ordinal))
            foreach (var p in ContractJson.Options.GetTypeInfo(d.PayloadType).Properties.Where(p => p.IsRequired || !requiredOnly))
                data.Add(d.Type, p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void A_missing_required_field_is_named_with_its_path(string type, string field)
    {
        var d = Definition(type);
        var data = ValidData(d);
        data.Remove(field);

        Assert.Equal(new EventError(EventErrorCode.MissingField, $"Required field '{field}' is missing.", $"$.data.{field}"), PayloadError(d, data));
    }

    [Theory]
    [MemberData(nameof(RequiredFields))]
    public void A_null_required_field_is_missing(string type, string field)
    {
        var d = Definition(type);
        var data = ValidData(d);
        data[field] = null;

        Assert.Equal(new EventError(EventErrorCode.MissingField, $"Required field '{field}' is null.", $"$.data.{field}"), PayloadError(d, data));
    }

    [Theory]
    [MemberData(nameof(AllFields))]
    public void A_field_of_the_wrong_json_type_is_mistyped_at_its_path(string type, string field)
    {
        var d = Definition(type);
        var data = ValidData(d);
        var property = ContractJson.Options.GetTypeInfo(d.PayloadType).Properties.Single(p => p.Name == field);
        var kind = ContractJson.Options.GetTypeInfo(property.PropertyType).Kind;
        // An array is wrong for every scalar and object field; a string is wrong for every list.
        data[field] = kind == JsonTypeInfoKind.Enumerable ? JsonValue.Create("not-a-list") : new JsonArray();

        var error = PayloadError(d, data);
        Assert.Equal((EventErrorCode.MistypedField, $"$.data.{field}"), (error.Code, error.Path));
        Assert.StartsWith($"Field '{field}' must be ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(kind == JsonTypeInfoKind.Enumerable ? "but is the string \"not-a-list\"." : "but is an array.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_data_reports_the_first_required_field_of_every_type()
    {
        foreach (var d in EventCatalog.Definitions)
        {
            var first = ContractJson.Options.GetTypeInfo(d.PayloadType).Properties.First(p => p.IsRequired).Name;
            Assert.Equal(new EventError(EventErrorCode.MissingField, $"Required field '{first}' is missing.", $"$.data.{first}"),
                PayloadError(d, new JsonObject()));
        }
    }

    // ---- precise errors on the seed examples -------------------------------------------------------------

    private static EventError OfferError(Action<JsonObject> change)
    {
        var body = JsonNode.Parse(SeedExamples.Collector["offer.approved"])!.AsObject();
        change(body["data"]!.AsObject());
        var e = ReadEnvelope(body.ToJsonString());
        Assert.False(EventCatalog.TryReadPayload(e, out _, out var error), "the catalog accepted an invalid payload");
        return error;
    }

    private static JsonObject FirstLine(JsonObject data) => data["lineItems"]![0]!.AsObject();

    [Fact]
    public void A_null_item_in_a_list_is_missing() =>
        Assert.Equal(new EventError(EventErrorCode.MissingField, "Required field 'lineItems[1]' is null.", "$.data.lineItems[1]"),
            OfferError(d => d["lineItems"]!.AsArray().Add(null)));

    [Fact]
    public void Member_names_match_in_any_case_or_escaped_and_every_duplicate_is_checked_as_the_serializer_reads_each()
    {
        var json = SeedExamples.Collector["offer.approved"];
        var number = JsonNode.Parse(json)!["data"]!["offerNumber"]!.GetValue<string>();
        Assert.Contains("\"offerNumber\":", json, StringComparison.Ordinal);

        var escaped = ReadEnvelope(json.Replace("\"offerNumber\":", "\"\\u006FFFERNUMBER\":", StringComparison.Ordinal));
        Assert.True(EventCatalog.TryReadPayload(escaped, out var payload, out var error), error?.ToString());
        Assert.Equal(number, ((OfferApproved)payload).OfferNumber);

        // A mistyped duplicate before the right one: the serializer would fail on it, so the validator names it.
        var duplicated = ReadEnvelope(json.Replace("\"offerNumber\":", "\"\\u006FfferNumber\": 42, \"OFFERNUMBER\":", StringComparison.Ordinal));
        Assert.False(EventCatalog.TryReadPayload(duplicated, out _, out var reported));
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'offerNumber' must be a string, but is the number 42.", "$.data.offerNumber"), reported);
    }

    [Fact]
    public void An_unparseable_date_is_mistyped() =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
                "Field 'validUntil' must be an ISO 8601 date-time string, but is the string \"next month\".", "$.data.validUntil"),
            OfferError(d => d["validUntil"] = "next month"));

    [Fact]
    public void A_number_where_a_string_belongs_is_mistyped() =>
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'offerNumber' must be a string, but is the number 42.", "$.data.offerNumber"),
            OfferError(d => d["offerNumber"] = 42));

    [Fact]
    public void A_fraction_where_a_count_belongs_is_mistyped()
    {
        var payroll = JsonNode.Parse(SeedExamples.Collector["payroll.processed"])!;
        payroll["data"]!["employeeCount"] = 25.5m;
        var e = ReadEnvelope(payroll.ToJsonString());

        Assert.False(EventCatalog.TryReadPayload(e, out _, out var error));
        Assert.Equal(new EventError(EventErrorCode.MistypedField,
            "Field 'employeeCount' must be an integer (or a string holding one), but is the number 25.5.", "$.data.employeeCount"), error);
    }

    [Theory]
    [InlineData("\"fail\"", "the string \"fail\"")]
    [InlineData("1", "the number 1")]
    [InlineData("\"1\"", "the string \"1\"")]
    public void An_inspection_result_other_than_PASS_or_FAIL_is_mistyped(string result, string actual)
    {
        var d = Definition(EventTypes.Mes.QualityInspectionCompleted);
        var data = ValidData(d);
        data["result"] = JsonNode.Parse(result);

        Assert.Equal(new EventError(EventErrorCode.MistypedField, $"Field 'result' must be one of \"PASS\", \"FAIL\", but is {actual}.", "$.data.result"),
            PayloadError(d, data));
    }

    [Fact]
    public void Nested_objects_and_dictionaries_are_checked_too()
    {
        var part = Definition(EventTypes.Mes.MaterialPartUpdated);
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'revision' must be a string, but is the number 3.", "$.data.changes.revision"),
            PayloadError(part, JsonNode.Parse("""{"partId":"P","partNumber":"PN","partName":"N","changes":{"revision":3}}""")!));

        var workCenter = Definition(EventTypes.Mes.ResourceWorkCenterUpdated);
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'changes' must be an object, but is an array.", "$.data.changes"),
            PayloadError(workCenter, JsonNode.Parse("""{"workCenterId":"wc-1","changes":[]}""")!));
    }

    [Fact]
    public void Data_that_is_missing_or_not_an_object_is_reported_at_the_data_path()
    {
        Assert.False(EventCatalog.TryReadPayload(new CloudEvent { Id = "e", Source = "s", Type = EventTypes.Collector.StockLow }, out _, out var none));
        Assert.Equal((EventErrorCode.MissingField, "$.data"), (none.Code, none.Path));

        // Binary mode takes the body as it is, so only the catalog sees that it is no object.
        var headers = new Dictionary<string, string> { ["ce_specversion"] = "1.0", ["ce_id"] = "e-1", ["ce_source"] = "s", ["ce_type"] = "stock.low" };
        var array = Reader.Read(new InboundMessage("[1]"u8.ToArray(), headers)).GetValueOrThrow();
        Assert.False(EventCatalog.TryReadPayload(array, out _, out var mistyped));
        Assert.Equal(new EventError(EventErrorCode.MistypedField, "Field 'data' must be an object, but is an array.", "$.data"), mistyped);
    }

    [Fact]
    public void ReadPayload_throws_the_error_TryReadPayload_reports()
    {
        var e = ReadEnvelope(SeedExamples.Collector["stock.low"].Replace("\"stock.low\"", "\"stock.teleported\"", StringComparison.Ordinal));

        Assert.False(EventCatalog.TryReadPayload(e, out _, out var error));
        Assert.Equal(EventErrorCode.UnknownType, error.Code);
        var thrown = Assert.Throws<EventValidationException>(() => EventCatalog.ReadPayload<StockLow>(e));
        Assert.Equal(error, thrown.Error);
    }

    [Fact]
    public void Asking_for_the_wrong_record_is_a_programming_error()
    {
        var e = ReadEnvelope(SeedExamples.Collector["stock.low"]);
        var ex = Assert.Throws<InvalidOperationException>(() => EventCatalog.ReadPayload<OrderCreated>(e));
        Assert.Equal("stock.low reads into StockLow, not OrderCreated.", ex.Message);
    }

    [Fact]
    public void Work_order_completed_carries_the_genealogy_fields_when_the_mes_sends_them()
    {
        var d = Definition(EventTypes.Mes.WorkOrderCompleted);
        var e = ReadEnvelope(ValidEnvelope(d, JsonNode.Parse("""
            {"workOrderId":"wo-1","workOrderNumber":"WO-1","quantityCompleted":10,"quantityRejected":0,
             "completedAt":"2025-10-20T16:30:00Z","completedBy":"u","partId":"P-1","partNumber":"PN-1",
             "producedLotNumber":"LOT-FG-1","producedSerialNumbers":["SN-1","SN-2"],
             "consumedLots":[{"lotNumber":"LOT-RM-1","partId":"P-RM","quantity":"20.5"}]}
            """)!));

        var p = EventCatalog.ReadPayload<WorkOrderCompleted>(e);
        Assert.Equal(("P-1", "PN-1", "LOT-FG-1"), (p.PartId, p.PartNumber, p.ProducedLotNumber));
        Assert.Equal(["SN-1", "SN-2"], p.ProducedSerialNumbers!);
        Assert.Equal([new ConsumedLot { LotNumber = "LOT-RM-1", PartId = "P-RM", Quantity = 20.5m }], p.ConsumedLots!);
    }
}
