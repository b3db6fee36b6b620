using EventProcessors.Bench;
using EventProcessors.Bench.Contenders;
using EventProcessors.Bench.Harness;

// bench <mode> [options]; README "Benchmarks". The contender modes are the child processes compare, memory and soak start.
var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "compare";
var options = new BenchArgs(args.Length > 0 && mode == args[0] ? args[1..] : args);
try
{
    return mode switch
    {
        "pipeline" => await PipelineBench.RunAsync(options),
        "compare" => await CompareBench.RunAsync(options),
        "contender" => await ContenderHost.RunAsync(options),
        _ => Usage(),
    };
}
catch (BenchFailure failure)
{
    Console.Error.WriteLine($"FAILED: {failure.Message}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: bench [compare|pipeline|memory|soak] [options]
          compare   side by side on one RabbitMQ broker (and Kafka on librdkafka's mock cluster); --messages 20000 --rounds 4
                    --prefetch 64[,8] --contenders raw,worker,mt,mt-inbox --azurite-messages 1000 --kafka-messages 20000 (0: skip)
          pipeline  the pipeline in process: --storage inmemory|<connection string> --events 20000 --concurrency 16
          memory    the worker's peak RSS after --messages 100000 (in-memory tables, prefetch 64)
          soak      serve fed continuously for --minutes 10 at --rate 80/s, RSS sampled every --sample 5 s (--storage, default Azurite)
        """);
    return 2;
}
