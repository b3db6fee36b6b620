using EventProcessors.Contracts;
using EventProcessors.Processing.Pipeline;

namespace EventProcessors.Processing.Tests.Pipeline;

/// <summary>Follow-on ids are stored and compared across versions: they must stay exactly what they always were.</summary>
public sealed class FollowOnIdTests
{
    public static TheoryData<string?, string, string, string, string, int> Causes => new()
    {
        { "tenant-123", "orders-service", "8d0c5a8e-3c1b-4a53-9a43-0d6a4f1f1a01", "inventory.reserve-stock", "stock.reserved", 0 },
        { null, "mes/line-1", "e-1", "quality.create-inspection", "inspection.created", 12 },
        { "", "s", "e", "c", "t", int.MaxValue },
        { "Müller & Söhne", "quelle/äöü", "id-€-漢字", "delivery.create-note", "delivery.note.created", 3 },
        { new string('t', 700), new string('s', 900), "long-" + new string('é', 400), "invoicing.generate-invoice", "invoice.generated", 1 },
    };

    [Theory]
    [MemberData(nameof(Causes))]
    public void The_id_is_the_name_based_uuid_of_tenant_source_id_consumer_type_and_index(string? tenant, string source, string id, string consumer, string type, int index)
    {
        var cause = new CloudEvent { Id = id, Source = source, Type = "order.created", TenantId = tenant };

        Assert.Equal(DeterministicId.From($"{tenant}\n{source}\n{id}\n{consumer}\n{type}\n{index}"), ActionContext.FollowOnId(cause, consumer, type, index));
    }

    [Fact]
    public void A_known_follow_on_keeps_its_id()
    {
        var cause = new CloudEvent { Id = "8d0c5a8e-3c1b-4a53-9a43-0d6a4f1f1a01", Source = "orders-service", Type = "order.created", TenantId = "tenant-123" };

        // SHA-256 of the UTF-8 name, RFC 9562 version 8 layout (computed independently of this code).
        Assert.Equal("54862d7b-bedf-8398-8068-8c5292dfd58a", ActionContext.FollowOnId(cause, "inventory.reserve-stock", "stock.reserved", 0));
    }
}
