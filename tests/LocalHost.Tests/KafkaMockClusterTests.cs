using System.Text;
using Confluent.Kafka;
using EventProcessors.TestSupport;

namespace EventProcessors.LocalHost.Tests;

/// <summary>The in-process mock cluster answers ordinary Confluent.Kafka clients over TCP, with the KIP-848 group protocol.</summary>
public sealed class KafkaMockClusterTests(KafkaMockCluster kafka) : IClassFixture<KafkaMockCluster>
{
    [Fact]
    public async Task A_record_produced_is_consumed_by_a_group_and_its_commit_is_kept()
    {
        var topic = $"smoke-{Guid.NewGuid():N}";
        kafka.CreateTopic(topic, partitions: 3);

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig
               { BootstrapServers = kafka.BootstrapServers, Acks = Acks.All, EnableIdempotence = true }).Build())
        {
            var report = await producer.ProduceAsync(topic, new Message<string, string>
            {
                Key = "wo-1",
                Value = "hello",
                Headers = new Headers { { "content-type", Encoding.UTF8.GetBytes("text/plain") } },
            });
            Assert.Equal(PersistenceStatus.Persisted, report.Status);
        }

        var group = $"smoke-group-{Guid.NewGuid():N}";
        var received = ConsumeOne(topic, group);
        Assert.NotNull(received);
        Assert.Equal("wo-1", received.Message.Key);
        Assert.Equal("hello", received.Message.Value);
        Assert.Equal("text/plain", Encoding.UTF8.GetString(received.Message.Headers.GetLastBytes("content-type")));

        // The group committed past the record: a new member of the same group gets nothing more.
        Assert.Null(ConsumeOne(topic, group, TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task A_broker_taken_down_refuses_clients_until_it_is_up_again()
    {
        using var mock = KafkaMockCluster.StartMock(brokers: 1);
        mock.CreateTopic("down", partitions: 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            { BootstrapServers = mock.BootstrapServers, Acks = Acks.All, EnableIdempotence = true, MessageTimeoutMs = 60_000 }).Build();
        await producer.ProduceAsync("down", new Message<Null, string> { Value = "before" });

        mock.BrokerDown(1);
        var during = producer.ProduceAsync("down", new Message<Null, string> { Value = "during" });
        Assert.NotSame(during, await Task.WhenAny(during, Task.Delay(TimeSpan.FromSeconds(2))));
        mock.BrokerUp(1);
        Assert.Equal(PersistenceStatus.Persisted, (await during).Status);
    }

    [Fact]
    public async Task Pushed_request_errors_fail_the_next_requests_of_that_api()
    {
        using var mock = KafkaMockCluster.StartMock(brokers: 1);
        mock.CreateTopic("errors", partitions: 1);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            { BootstrapServers = mock.BootstrapServers, Acks = Acks.All, MessageSendMaxRetries = 0, EnableIdempotence = false }).Build();
        await producer.ProduceAsync("errors", new Message<Null, string> { Value = "warm-up" });

        mock.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        var error = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("errors", new Message<Null, string> { Value = "refused" }));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync("errors", new Message<Null, string> { Value = "after" })).Status);
    }

    private ConsumeResult<string, string>? ConsumeOne(string topic, string group, TimeSpan? wait = null)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = group,
            GroupProtocol = KafkaMockCluster.GroupProtocol,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(30));
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null) continue;
                consumer.Commit(result);
                return result;
            }
            return null;
        }
        finally
        {
            consumer.Close();
        }
    }
}
