using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventProcessors.Contracts;

/// <summary>The one set of serializer settings for envelopes and payloads.</summary>
public static class ContractJson
{
    /// <summary>
    /// camelCase names as the platform documents write them; numbers may arrive as strings
    /// (Collector sends quantities and money as "5" and "300.00"); nulls are not written.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            // Events are never embedded in HTML; escaping '+' or non-ASCII would only make them harder to read
            // and make a replayed outcome differ textually from the first one.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
