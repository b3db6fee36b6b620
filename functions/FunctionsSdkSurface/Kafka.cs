// Microsoft.Azure.Functions.Worker.Extensions.Kafka 4.3.0 (nullable disabled there, as here).
#nullable disable

using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Microsoft.Azure.Functions.Worker
{
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

    public enum KafkaTimestampType
    {
        NotAvailable = 0,
        CreateTime = 1,
        LogAppendTime = 2,
    }
}
