using System.Text;
using System.Text.Json.Nodes;
using EventProcessors.Contracts;

namespace EventProcessors.Chaos.Tests;

/// <summary>One message the run publishes to collector-events: its routing key, body, AMQP message_id, and what it is.</summary>
public sealed record CollectorInput(string RoutingKey, byte[] Body, string? MessageId, string Kind);

/// <summary>A planted poison message and the verdict the pipeline must give it (the dead letter's <c>x-dead-letter-code</c>).</summary>
public sealed record Poison(string Name, byte[] Body, EventErrorCode Code, string RoutingKey = EventTypes.Collector.OfferApproved);

/// <summary>An approved offer of the workload: the lines it orders (product, quantity).</summary>
public sealed record PlannedOffer(string OfferId, string OfferNumber, IReadOnlyList<(string ProductId, decimal Quantity)> Lines);

/// <summary>
/// Seed-shaped Collector offers (seed 003's offer.approved: <c>{type, timestamp, tenantId, source, correlationId, data}</c>, no id),
/// each sent twice in one of four ways, and poison of every kind the pipeline dead-letters, shuffled together.
/// </summary>
/// <remarks>
/// A Collector body carries no id, so the pipeline derives the event id from the AMQP message_id, or else from a hash of the body.
/// What a duplicate is, and what the product guarantees for it:
/// <list type="bullet">
/// <item>the same bytes again without a message_id (a broker redelivery, or a publisher retry after a lost confirm): the same
/// body hash, so the same event id; the idempotency record answers the copy and nothing runs or is published again;</item>
/// <item>the same bytes again with the same message_id: the same event id, the same answer;</item>
/// <item>a re-send with a new message_id (Collector's outbox resending an approval it could not confirm, stamping each send): a new
/// event id, so the pipeline runs the action for it, and</item>
/// <item>the same approval re-emitted without a message_id but with a new timestamp: also a new body hash, so a new event id.</item>
/// </list>
/// For the last two the guarantee is one level up: the order id derives from (tenant, offer id) and the order's origin record lets
/// only the first event create it (<c>DocumentOrigins</c>), so every offer still makes exactly one order.created, one Orders row
/// and one reservation, whichever copy got there first. The ledger asserts exactly that.
/// </remarks>
public static class CollectorWorkload
{
    public const string Tenant = "tenant-123";
    public static readonly string[] Products = ["p-4711", "p-4712"];

    public static (List<CollectorInput> Inputs, List<PlannedOffer> Offers, List<Poison> Poison) Create(ChaosSettings settings, Random random)
    {
        var inputs = new List<CollectorInput>();
        var offers = new List<PlannedOffer>();
        for (var i = 0; i < settings.Offers; i++)
        {
            var offerId = new Guid(random.NextBytes16()).ToString();
            var lines = Enumerable.Range(0, random.Next(1, 3))
                .Select(l => (Products[(i + l) % Products.Length], (decimal)random.Next(1, 10))).ToArray();
            var offer = new PlannedOffer(offerId, $"OFF-{i:D5}", lines);
            offers.Add(offer);
            var body = Offer(offer, "2024-01-15T10:30:00.000Z");
            var key = EventTypes.Collector.OfferApproved;
            switch (i % 4)
            {
                case 0:
                    inputs.Add(new(key, body, null, "same bytes, no message_id"));
                    inputs.Add(new(key, body, null, "same bytes, no message_id"));
                    break;
                case 1:
                    inputs.Add(new(key, body, $"offer-message-{i}", "same message_id"));
                    inputs.Add(new(key, body, $"offer-message-{i}", "same message_id"));
                    break;
                case 2:
                    inputs.Add(new(key, body, $"offer-send-{i}-1", "re-send, new message_id"));
                    inputs.Add(new(key, body, $"offer-send-{i}-2", "re-send, new message_id"));
                    break;
                default:
                    inputs.Add(new(key, body, null, "re-emitted, new timestamp"));
                    inputs.Add(new(key, Offer(offer, "2024-01-15T10:31:00.000Z"), null, "re-emitted, new timestamp"));
                    break;
            }
        }
        var poison = Enumerable.Range(0, settings.PoisonCopies).SelectMany(PoisonOfEveryKind).ToList();
        inputs.AddRange(poison.Select(p => new CollectorInput(p.RoutingKey, p.Body, null, "poison: " + p.Name)));
        return (inputs.OrderBy(_ => random.Next()).ToList(), offers, poison);
    }

    /// <summary>
    /// Every kind of message the pipeline refuses on orders.create-from-offer, each unique (a marker in it), with its verdict:
    /// the envelope reader's (not JSON, not an envelope, a missing or mistyped envelope field, over the 256 KiB limit), the payload
    /// schema's, the action's own (an offer line naming no product), and types the queue does not consume although they were
    /// routed to it with its key (unknown to the catalog, or known but another action's).
    /// </summary>
    private static IEnumerable<Poison> PoisonOfEveryKind(int copy)
    {
        var n = $"P{copy}";
        string Name(string kind) => copy == 0 ? kind : $"{kind} (copy {copy + 1})";
        var valid = new PlannedOffer($"poison-offer-{n}", $"OFF-POISON-{n}", [("p-4711", 1m)]);
        JsonObject Valid() => JsonNode.Parse(Offer(valid, "2024-01-15T10:30:00.000Z"))!.AsObject();
        byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

        yield return new(Name("invalid JSON"), Encoding.UTF8.GetBytes($"{{ \"type\": \"offer.approved\", \"marker\": \"{n}\", \"data\": {{ oops"), EventErrorCode.UnreadableJson);
        yield return new(Name("a JSON array"), Encoding.UTF8.GetBytes($"[1, 2, \"{n}\"]"), EventErrorCode.UnknownShape);
        yield return new(Name("an object of no envelope"), Bytes(new JsonObject { ["offer"] = Valid()["data"]!.DeepClone(), ["marker"] = n }), EventErrorCode.UnknownShape);
        var noTenant = Valid();
        noTenant.Remove("tenantId");
        yield return new(Name("envelope without tenantId"), Bytes(noTenant), EventErrorCode.MissingField);
        var badTime = Valid();
        badTime["timestamp"] = "yesterday";
        yield return new(Name("envelope with a timestamp that is no date"), Bytes(badTime), EventErrorCode.MistypedField);
        var noOfferId = Valid();
        noOfferId["data"]!.AsObject().Remove("offerId");
        yield return new(Name("schema-invalid payload (no offerId)"), Bytes(noOfferId), EventErrorCode.MissingField);
        var noProduct = Valid();
        noProduct["data"]!["lineItems"]![0]!.AsObject().Remove("productId");
        yield return new(Name("a line naming no product (the action refuses it)"), Bytes(noProduct), EventErrorCode.InvalidValue);
        var unknownType = Valid();
        unknownType["type"] = "offer.withdrawn";
        yield return new(Name("unknown type on the bound key offer.approved"), Bytes(unknownType), EventErrorCode.UnknownType);
        var misrouted = Valid();
        misrouted["type"] = EventTypes.Collector.OrderConfirmed;
        yield return new(Name("another action's type on the bound key offer.approved"), Bytes(misrouted), EventErrorCode.UnknownType);
        var oversized = Valid();
        oversized["data"]!["lineItems"]![0]!["description"] = new string('x', 300 * 1024);
        yield return new(Name("oversized (300 KiB; the limit is 256 KiB)"), Bytes(oversized), EventErrorCode.PayloadTooLarge);
    }

    public static byte[] Offer(PlannedOffer offer, string timestamp)
    {
        var lines = new JsonArray([.. offer.Lines.Select(l => (JsonNode)new JsonObject
        {
            ["productId"] = l.ProductId,
            ["description"] = "Product Name",
            ["quantity"] = l.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["unitPrice"] = "300.00",
            ["discountPercent"] = "10",
            ["taxPercent"] = "20",
        })]);
        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["type"] = EventTypes.Collector.OfferApproved,
            ["timestamp"] = timestamp,
            ["tenantId"] = Tenant,
            ["source"] = "offers-service",
            ["correlationId"] = $"corr-{offer.OfferNumber}",
            ["data"] = new JsonObject
            {
                ["offerId"] = offer.OfferId,
                ["offerNumber"] = offer.OfferNumber,
                ["customerId"] = "c0ffee00-0000-4000-8000-000000000001",
                ["validUntil"] = "2024-02-15T10:30:00.000Z",
                ["currency"] = "USD",
                ["grandTotal"] = "1500.00",
                ["lineItems"] = lines,
            },
        }.ToJsonString());
    }
}

internal static class RandomExtensions
{
    public static byte[] NextBytes16(this Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return bytes;
    }
}
