using Confluent.Kafka;
using EventProcessors.LocalHost.Transport.Kafka;
using Microsoft.Extensions.Configuration;

namespace EventProcessors.LocalHost.Tests;

/// <summary>The worker's Kafka client settings as an operator gives them: managed Kafka security, tuning, mistakes.</summary>
public sealed class KafkaOptionsTests
{
    private static KafkaOptions From(params (string Key, string Value)[] settings) =>
        KafkaOptions.From(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build());

    [Fact]
    public void Event_hubs_settings_give_sasl_plain_over_ssl_with_the_connection_string_as_password()
    {
        var config = From(("KafkaBrokers", "ns.servicebus.windows.net:9093"), ("KafkaProtocol", "SaslSsl"), ("KafkaAuthenticationMode", "Plain"),
            ("KafkaUsername", "$ConnectionString"), ("KafkaPassword", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=p;SharedAccessKey=k"),
            ("LocalHost:Kafka:GroupProtocol", "Classic")).ClientConfig();

        Assert.Equal("ns.servicebus.windows.net:9093", config.BootstrapServers);
        Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
        Assert.Equal(SaslMechanism.Plain, config.SaslMechanism);
        Assert.Equal("$ConnectionString", config.SaslUsername);
        Assert.StartsWith("Endpoint=sb://", config.SaslPassword);
    }

    [Theory]
    [InlineData("ScramSha512", SaslMechanism.ScramSha512)]
    [InlineData("SCRAM-SHA-256", SaslMechanism.ScramSha256)]
    [InlineData("oauthbearer", SaslMechanism.OAuthBearer)]
    public void An_authentication_mode_alone_means_sasl_over_ssl(string mode, SaslMechanism expected)
    {
        var config = From(("KafkaBrokers", "b:9092"), ("KafkaAuthenticationMode", mode), ("KafkaSslCaLocation", "/etc/ssl/ca.pem")).ClientConfig();

        Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
        Assert.Equal(expected, config.SaslMechanism);
        Assert.Equal("/etc/ssl/ca.pem", config.SslCaLocation);
    }

    [Fact]
    public void OAuthBearer_with_a_token_endpoint_uses_oidc_client_credentials()
    {
        var config = From(("KafkaBrokers", "b:9092"), ("KafkaAuthenticationMode", "OAuthBearer"), ("KafkaOAuthBearerTokenEndpointUrl", "https://login.example/token"),
            ("KafkaOAuthBearerClientId", "worker"), ("KafkaOAuthBearerClientSecret", "s3cret"), ("KafkaOAuthBearerScope", "kafka")).ClientConfig();

        Assert.Equal(SaslOauthbearerMethod.Oidc, config.SaslOauthbearerMethod);
        Assert.Equal("https://login.example/token", config.SaslOauthbearerTokenEndpointUrl);
        Assert.Equal("worker", config.SaslOauthbearerClientId);
        Assert.Equal("s3cret", config.SaslOauthbearerClientSecret);
        Assert.Equal("kafka", config.SaslOauthbearerScope);
    }

    [Fact]
    public void Without_security_settings_the_client_is_plaintext_and_tuning_comes_from_the_worker_section()
    {
        var options = From(("KafkaBrokers", "localhost:9092"), ("LocalHost:Kafka:MaxInFlightPerPartition", "4"),
            ("LocalHost:Kafka:Properties:socket.keepalive.enable", "true"));
        var config = options.ClientConfig();

        Assert.Null(config.SecurityProtocol);
        Assert.Null(config.SaslMechanism);
        Assert.Equal(4, options.MaxInFlightPerPartition);
        Assert.Equal(GroupProtocol.Consumer, options.GroupProtocol);
        Assert.Equal("true", config.Get("socket.keepalive.enable"));
        Assert.False(From().IsConfigured);
    }

    [Theory]
    [InlineData("KafkaAuthenticationMode", "Kerberos5", "KafkaAuthenticationMode 'Kerberos5' is not one of")]
    [InlineData("KafkaProtocol", "tls", "KafkaProtocol 'tls' is not one of")]
    [InlineData("LocalHost:Kafka:MaxInFlightPerPartition", "0", "MaxInFlightPerPartition must be at least 1")]
    public void A_wrong_setting_is_refused_with_its_name(string key, string value, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => From(("KafkaBrokers", "b:9092"), (key, value)));
        Assert.Contains(message, error.Message);
    }
}
