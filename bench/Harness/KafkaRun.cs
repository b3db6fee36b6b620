using System.Diagnostics;
using Confluent.Kafka;
using EventProcessors.Bench.Contenders;
using EventProcessors.LocalHost.Transport.Kafka;
using EventProcessors.Processing.Actions;
using EventProcessors.TestSupport;

namespace EventProcessors.Bench.Harness;

/// <summary>
/// One contender, one run on Kafka: a fresh librdkafka mock cluster in this (the harness's) process, so its CPU is not the contender's,
/// with the platform's topics; <c>warmUp</c> + <c>measured</c> <c>work-order.created</c> records pre-loaded (the warm-up timed apart) on <c>mes-events</c>; the contender in a child
/// process until one follow-on per record is on the topic; then the checks: the hop's consumer group committed to the end of every
/// partition, nothing dead-lettered, exactly one follow-on per record.
/// </summary>
public static class KafkaRun
{
    public static async Task<RunResult> RunAsync(string contender, int measured, int prefetch, int warmUp = 0)
    {
        var messages = warmUp + measured;
        using var cluster = KafkaMockCluster.StartMock(brokers: 1);
        var topics = KafkaTopics.For(new KafkaOptions { BootstrapServers = cluster.BootstrapServers });
        foreach (var topic in topics) cluster.CreateTopic(topic.Name, topic.Partitions);
        var run = Guid.NewGuid().ToString("N")[..8];
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, Acks = Acks.All, EnableIdempotence = true, LingerMs = 5 }).Build())
        {
            for (var i = 0; i < messages; i++)
                producer.Produce(Messages.MesTopic, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes($"wo-{run}-{i}"), Value = Messages.WorkOrderCreated(run, i) },
                    report => { if (report.Error.IsError) throw new BenchFailure($"pre-load: {report.Error.Reason}"); });
            producer.Flush(TimeSpan.FromMinutes(2));
        }
        var partitions = topics.Single(t => t.Name == Messages.MesTopic).Partitions;
        var mes = Enumerable.Range(0, partitions).Select(p => new TopicPartition(Messages.MesTopic, p)).ToArray();
        var group = contender == "kafka-raw" ? RawKafkaLoop.Group : Consumers.ReserveMaterial.Queue;
        using var watcher = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = group, EnableAutoCommit = false }).Build();
        long Records(TopicPartition[] of) => of.Sum(p => watcher.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        if (Records(mes) != messages) throw new BenchFailure($"pre-load put {Records(mes)} records on {Messages.MesTopic}, not {messages}");

        await using var child = ChildProcess.Start(contender, [contender, "--kafka", cluster.BootstrapServers, "--prefetch", prefetch.ToString(System.Globalization.CultureInfo.InvariantCulture), "--run", run]);
        // The clock starts at the first follow-on: the run's first produce is a few milliseconds after its first record was read.
        var result = await FollowOnWatch.MeasureAsync(child, contender, prefetch, warmUp, measured,
            () => Task.FromResult(Records(mes) > messages), () => Task.FromResult(Records(mes) - messages));

        // The group passes over the follow-ons too; drained means committed to the end of every partition (commits trail by an interval).
        var drained = Stopwatch.StartNew();
        long Committed() => watcher.Committed(mes, TimeSpan.FromSeconds(10)).Sum(c => Math.Max(0, c.Offset.Value));
        while (Committed() < 2L * messages && drained.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
        var exit = await child.StopAsync(TimeSpan.FromSeconds(60));
        if (exit != 0) throw new BenchFailure($"{contender} exited with {exit}:\n{child.Tail}");
        var problems = new List<string>();
        if (Committed() != 2L * messages) problems.Add($"group {group} committed {Committed()} of {2L * messages} records");
        if (Records(mes) != 2L * messages) problems.Add($"{Records(mes) - messages} follow-ons for {messages} records");
        var deadLetters = Enumerable.Range(0, topics.Single(t => t.Name == Messages.MesDeadLetterTopic).Partitions).Select(p => new TopicPartition(Messages.MesDeadLetterTopic, p)).ToArray();
        if (Records(deadLetters) != 0) problems.Add($"{Records(deadLetters)} dead letters");
        if (problems.Count > 0) throw new BenchFailure($"{contender} did not drain cleanly: {string.Join("; ", problems)}");
        return result;
    }
}
