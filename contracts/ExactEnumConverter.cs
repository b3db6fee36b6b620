using System.Text.Json.Serialization;

namespace EventProcessors.Contracts;

/// <summary>
/// Reads enum members only by their documented names: the default converter also accepts integers,
/// which would let <c>"result": 1</c> silently mean FAIL.
/// </summary>
public sealed class ExactEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(namingPolicy: null, allowIntegerValues: false)
    where TEnum : struct, Enum;
