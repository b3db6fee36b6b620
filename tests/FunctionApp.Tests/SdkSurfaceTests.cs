using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Converters;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace EventProcessors.FunctionApp.Tests;

/// <summary>
/// The Kafka members the app uses, with the names, types, values and defaults of Worker.Extensions.Kafka 4.3.0
/// (functions-api.md section 2). In real mode these run against the package itself, which must agree too.
/// </summary>
public sealed class SdkSurfaceTests
{
    [Theory]
    [InlineData(typeof(KafkaTriggerAttribute))]
    [InlineData(typeof(KafkaOutputAttribute))]
    public void Kafka_attributes_carry_the_security_members_with_their_real_types_and_defaults(Type attribute)
    {
        var instance = Activator.CreateInstance(attribute, "brokers", "topic")!;
        Assert.Equal((typeof(BrokerProtocol), (object)BrokerProtocol.NotSet), Member(instance, "Protocol"));
        Assert.Equal((typeof(BrokerAuthenticationMode), (object)BrokerAuthenticationMode.NotSet), Member(instance, "AuthenticationMode"));
        foreach (var name in new[] { "Username", "Password", "SslCaLocation" })
            Assert.Equal((typeof(string), (object?)null), Member(instance, name));
    }

    [Fact]
    public void Security_enums_have_the_real_names_and_values()
    {
        Assert.Equal([("NotSet", -1), ("Gssapi", 0), ("Plain", 1), ("ScramSha256", 2), ("ScramSha512", 3), ("OAuthBearer", 4)], Values<BrokerAuthenticationMode>());
        Assert.Equal([("NotSet", -1), ("Plaintext", 0), ("Ssl", 1), ("SaslPlaintext", 2), ("SaslSsl", 3)], Values<BrokerProtocol>());
    }

    [Fact]
    public void The_trigger_binds_KafkaRecord_through_a_deferred_binding_converter_as_the_real_one_does()
    {
        var trigger = typeof(KafkaTriggerAttribute);
        var converter = trigger.GetCustomAttribute<InputConverterAttribute>()!.ConverterType;
        Assert.Equal("Microsoft.Azure.Functions.Worker.Extensions.Kafka.KafkaRecordConverter", converter.FullName);
        Assert.False(converter.IsPublic);
        Assert.Equal(ConverterFallbackBehavior.Default, trigger.GetCustomAttribute<ConverterFallbackBehaviorAttribute>()!.Behavior);
        Assert.NotNull(converter.GetCustomAttribute<SupportsDeferredBindingAttribute>());
        Assert.Equal([typeof(KafkaRecord), typeof(KafkaRecord[])], converter.GetCustomAttributes<SupportedTargetTypeAttribute>().Select(a => a.TargetType));
        Assert.Equal([KnownBindingCapabilities.FunctionLevelRetry], trigger.GetCustomAttribute<BindingCapabilitiesAttribute>()!.Capabilities);
    }

    private static (Type, object?) Member(object instance, string name)
    {
        var property = instance.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance)!;
        Assert.True(property.CanWrite && property.SetMethod!.IsPublic, $"{name} is settable");
        return (property.PropertyType, property.GetValue(instance));
    }

    private static (string, int)[] Values<T>() where T : struct, Enum =>
        [.. Enum.GetValues<T>().Select(v => (v.ToString(), Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture))).OrderBy(v => v.Item2)];
}
