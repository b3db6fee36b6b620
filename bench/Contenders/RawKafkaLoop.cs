using System.Text;
using Confluent.Kafka;
using EventProcessors.Bench.Harness;

namespace EventProcessors.Bench.Contenders;

/// <summary>
/// The Kafka floor: a plain Confluent.Kafka consume-produce-commit loop on <c>mes-events</c>. One consumer in a group of its own reads
/// every record; a <c>work-order.created</c> gets one follow-on from an idempotent <c>acks=all</c> producer (as the worker's), up to
/// <c>prefetch</c> produces in flight; an offset is committed only once every record before it is settled (its delivery report back).
/// Its own follow-ons come back on the topic and are passed over, as the worker's action groups pass over types they do not consume.
/// </summary>
public static class RawKafkaLoop
{
    public const string Group = "bench.raw-loop";
    private static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(200);

    public static Task RunAsync(string bootstrap, int prefetch, CancellationToken stop) => Task.Run(() => Run(bootstrap, prefetch, stop));

    private static void Run(string bootstrap, int prefetch, CancellationToken stop)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap, Acks = Acks.All, EnableIdempotence = true, LingerMs = 2, ClientId = "bench-raw",
        }).Build();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = Group, GroupProtocol = GroupProtocol.Consumer, EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest, ClientId = "bench-raw",
        }).Build();
        consumer.Subscribe(Messages.MesTopic);
        var pending = new Dictionary<TopicPartition, Queue<(Offset Offset, Task Settled)>>();
        var settled = new Dictionary<TopicPartition, Offset>();
        var inFlight = 0;
        var lastCommit = DateTime.UtcNow;
        var headers = new Headers { { "content-type", Encoding.UTF8.GetBytes("application/cloudevents+json") } };

        void Settle(bool wait)
        {
            foreach (var (partition, queue) in pending)
            {
                while (queue.TryPeek(out var head) && (head.Settled.IsCompleted || wait))
                {
                    head.Settled.GetAwaiter().GetResult(); // a failed produce ends the run loudly: nothing is committed past it
                    queue.Dequeue();
                    inFlight--;
                    settled[partition] = head.Offset + 1;
                }
            }
        }

        void Commit()
        {
            if (settled.Count == 0) return;
            consumer.Commit(settled.Select(s => new TopicPartitionOffset(s.Key, s.Value)));
            settled.Clear();
            lastCommit = DateTime.UtcNow;
        }

        while (!stop.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(50));
            if (record is not null)
            {
                var followOn = Messages.MaterialReserved(record.Message.Value);
                var produced = followOn is null
                    ? Task.CompletedTask
                    : producer.ProduceAsync(Messages.MesTopic, new Message<byte[]?, byte[]> { Key = record.Message.Key, Value = followOn, Headers = headers });
                if (!pending.TryGetValue(record.TopicPartition, out var queue)) pending[record.TopicPartition] = queue = new();
                queue.Enqueue((record.Offset, produced));
                inFlight++;
            }
            Settle(wait: false);
            while (inFlight >= prefetch)
            {
                Task.WaitAny([.. pending.Values.Where(q => q.Count > 0).Select(q => q.Peek().Settled)]);
                Settle(wait: false);
            }
            if (DateTime.UtcNow - lastCommit >= CommitInterval) Commit();
        }
        Settle(wait: true);
        Commit();
        consumer.Close();
    }
}
