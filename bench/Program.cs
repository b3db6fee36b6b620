using EventProcessors.Bench;
using EventProcessors.Bench.Contenders;
using EventProcessors.Bench.Harness;

// bench <mode> [options]; README "Benchmarks". The contender modes are the child processes compare, memory and soak start.
var mode = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "compare";
if (args.Any(a => a is "--help" or "-h" or "help")) return Usage(0);
var options = new BenchArgs(args.Length > 0 && mode == args[0] ? args[1..] : args);
try
{
    return mode switch
    {
        "pipeline" => await PipelineBench.RunAsync(options),
        "compare" => await CompareBench.RunAsync(options),
        "memory" => await MemoryBench.RunAsync(options),
        "soak" => await SoakBench.RunAsync(options),
        "contender" => await ContenderHost.RunAsync(options),
        _ => Usage(2),
    };
}
catch (BenchFailure failure)
{
    Console.Error.WriteLine($"FAILED: {failure.Message}");
    return 1;
}

static int Usage(int exitCode)
{
    Console.Error.WriteLine("""
        usage: bench [compare|pipeline|memory|soak] [options]
          compare   side by side on one RabbitMQ broker (and Kafka on librdkafka's mock cluster); --messages 20000 --rounds 4
                    --prefetch 64[,8] --contenders raw,worker,mt,mt-inbox --azurite-messages 500 --kafka-messages 5000 (0: skip)
                    --warmup 10000 (messages each run handles first, timed apart: the tiered JIT of a fresh process)
          pipeline  the pipeline in process: --storage inmemory|<connection string> --events 20000 --concurrency 16
          memory    the worker's peak RSS after --messages 100000 (in-memory tables, prefetch 64)
          soak      serve fed for --minutes 10 at --rate 50/s (--backlog 1000 ahead at most), live heap and RSS every --sample 5 s, FAIL when the live heap grows more than --max-slope 10 MB/100k (--storage, default Azurite)
        """);
    return exitCode;
}
