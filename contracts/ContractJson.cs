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
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
