// Microsoft.Azure.Functions.Worker.Extensions.Kafka 4.3.0 (nullable disabled there, as here).
#nullable disable

using Microsoft.Azure.Functions.Worker.Converters;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Microsoft.Azure.Functions.Worker.Extensions.Kafka;

namespace Microsoft.Azure.Functions.Worker
{
    // The converter attributes make the SDK write "supportsDeferredBinding": "True" on every kafkaTrigger binding, as the
    // real package does; without them functions.metadata would differ from the deployed one.
    [InputConverter(typeof(KafkaRecordConverter))]
    [ConverterFallbackBehavior(ConverterFallbackBehavior.Default)]
    [BindingCapabilities(KnownBindingCapabilities.FunctionLevelRetry)]
    public sealed class KafkaTriggerAttribute : TriggerBindingAttribute, ISupportCardinality
    {
        public KafkaTriggerAttribute(string brokerList, string topic)
        {
            BrokerList = brokerList;
            Topic = topic;
        }

        public string Topic { get; private set; }

        public string BrokerList { get; private set; }

        public string ConsumerGroup { get; set; }

        public BrokerAuthenticationMode AuthenticationMode { get; set; } = BrokerAuthenticationMode.NotSet;

        public string Username { get; set; }

        public string Password { get; set; }

        public BrokerProtocol Protocol { get; set; } = BrokerProtocol.NotSet;

        public string SslCaLocation { get; set; }

        [DefaultValue(false)]
        public bool IsBatched { get; set; }

        Cardinality ISupportCardinality.Cardinality
        {
            get => IsBatched ? Cardinality.Many : Cardinality.One;
            set => IsBatched = value == Cardinality.Many;
        }
    }

    public sealed class KafkaOutputAttribute : OutputBindingAttribute
    {
        public KafkaOutputAttribute(string brokerList, string topic)
        {
            BrokerList = brokerList;
            Topic = topic;
        }

        public string Topic { get; private set; }

        public string BrokerList { get; set; }

        public BrokerAuthenticationMode AuthenticationMode { get; set; } = BrokerAuthenticationMode.NotSet;

        public string Username { get; set; }

        public string Password { get; set; }

        public BrokerProtocol Protocol { get; set; } = BrokerProtocol.NotSet;

        public string SslCaLocation { get; set; }
    }

    public class KafkaRecord
    {
        public string Topic { get; set; }

        public int Partition { get; set; }

        public long Offset { get; set; }

        public byte[] Key { get; set; }

        public byte[] Value { get; set; }

        public KafkaTimestamp Timestamp { get; set; }

        public KafkaHeader[] Headers { get; set; }
    }

    public class KafkaHeader
    {
        public string Key { get; set; }

        public byte[] Value { get; set; }
    }

    public class KafkaTimestamp
    {
        public long UnixTimestampMs { get; set; }

        public KafkaTimestampType Type { get; set; }
    }

    public enum BrokerAuthenticationMode
    {
        NotSet = -1,
        Gssapi,
        Plain,
        ScramSha256,
        ScramSha512,
        OAuthBearer,
    }

    public enum BrokerProtocol
    {
        NotSet = -1,
        Plaintext,
        Ssl,
        SaslPlaintext,
        SaslSsl,
    }

    public enum KafkaTimestampType
    {
        NotAvailable = 0,
        CreateTime = 1,
        LogAppendTime = 2,
    }
}

namespace Microsoft.Azure.Functions.Worker.Extensions.Kafka
{
    // Internal in the real package too; only its attributes matter to the SDK's generator. The surface cannot run (no
    // host extension sends it records), so it converts nothing.
    [SupportsDeferredBinding]
    [SupportedTargetType(typeof(KafkaRecord))]
    [SupportedTargetType(typeof(KafkaRecord[]))]
    internal sealed class KafkaRecordConverter : IInputConverter
    {
        public ValueTask<ConversionResult> ConvertAsync(ConverterContext context) => new(ConversionResult.Unhandled());
    }
}
