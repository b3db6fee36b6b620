using System.Runtime.InteropServices;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace EventProcessors.TestSupport;

/// <summary>
/// A Kafka cluster for tests: librdkafka's mock cluster, started in this process, which speaks the real Kafka wire protocol
/// on loopback TCP ports, so ordinary Confluent.Kafka clients (and <c>kcat</c>) connect to <see cref="BootstrapServers"/>.
/// When <c>KAFKA_BOOTSTRAP_SERVERS</c> is set the fixture uses that broker instead (topics through the Admin API), so a developer
/// with Kafka or Redpanda can confirm the same tests; fault injection (<see cref="BrokerDown"/>, <see cref="PushRequestErrors"/>)
/// needs the mock and throws against a real broker, so tests that inject faults start the mock themselves with <see cref="StartMock"/>.
/// <para>
/// What the mock does not do, and no test may rely on: create topics through the Admin API (<see cref="CreateTopic"/> calls
/// <c>rd_kafka_mock_topic_create</c>), de-duplicate idempotent producer retries, read_committed, more than ~5 MiB per
/// partition; <c>ListConsumerGroups</c> crashes the process. Clients should use <see cref="GroupProtocol"/> (KIP-848): the classic
/// protocol waits a session timeout per membership change on the mock and rejects commits during rebalances.
/// </para>
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    public const string BootstrapVariable = "KAFKA_BOOTSTRAP_SERVERS";

    /// <summary>The consumer group protocol tests use (<c>group.protocol=consumer</c>, KIP-848), on the mock and on Kafka 4.x.</summary>
    public const GroupProtocol GroupProtocol = Confluent.Kafka.GroupProtocol.Consumer;

    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;
    private readonly int _replicationFactor;
    private int _disposed;

    /// <summary>The fixture xunit creates: the broker at <c>KAFKA_BOOTSTRAP_SERVERS</c> when set, otherwise a 3-broker mock cluster.</summary>
    public KafkaMockCluster()
        : this(Environment.GetEnvironmentVariable(BootstrapVariable) is { Length: > 0 } real ? real : null, brokers: 3)
    {
    }

    private KafkaMockCluster(string? realBootstrapServers, int brokers)
    {
        if (realBootstrapServers is not null)
        {
            BootstrapServers = realBootstrapServers;
            return;
        }
        if (brokers < 1) throw new ArgumentOutOfRangeException(nameof(brokers), "A cluster needs at least one broker.");
        Native.EnsureLoaded();
        _handle = Native.NewClient();
        _cluster = Native.ClusterNew(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            Native.Destroy(_handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed.");
        }
        BootstrapServers = Marshal.PtrToStringUTF8(Native.Bootstraps(_cluster))
            ?? throw new InvalidOperationException("The mock cluster has no bootstrap servers.");
        BrokerIds = Enumerable.Range(1, brokers).ToArray();
        _replicationFactor = Math.Min(brokers, 3);
        // Groups assign at once instead of waiting the default 3 s for more members.
        Native.InitialRebalanceDelay(_cluster, 0);
    }

    /// <summary>Always librdkafka's mock cluster (never the real broker), for tests that inject faults.</summary>
    public static KafkaMockCluster StartMock(int brokers = 3) => new(null, brokers);

    /// <summary><c>host:port,...</c> to put in <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>True for the in-process mock, false for the broker at <c>KAFKA_BOOTSTRAP_SERVERS</c>.</summary>
    public bool IsMock => _cluster != IntPtr.Zero;

    /// <summary>The mock's broker ids (1..n); empty for a real broker.</summary>
    public IReadOnlyList<int> BrokerIds { get; } = [];

    /// <summary>Creates a topic (mock: <c>rd_kafka_mock_topic_create</c>; real broker: the Admin API, waiting until it exists).</summary>
    public void CreateTopic(string name, int partitions)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IsMock)
        {
            var error = Native.TopicCreate(_cluster, name, partitions, _replicationFactor);
            if (error != 0) throw new InvalidOperationException($"rd_kafka_mock_topic_create({name}, {partitions}) failed: {(ErrorCode)error}.");
            return;
        }
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        try
        {
            admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = -1 }])
                .GetAwaiter().GetResult();
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Already there (a rerun against the same broker).
        }
    }

    /// <summary>Takes a mock broker down: its connections drop and new ones are refused until <see cref="BrokerUp"/>.</summary>
    public void BrokerDown(int brokerId) => Check(Native.BrokerSetDown(MockCluster(), brokerId), $"rd_kafka_mock_broker_set_down({brokerId})");

    /// <summary>Brings a mock broker back.</summary>
    public void BrokerUp(int brokerId) => Check(Native.BrokerSetUp(MockCluster(), brokerId), $"rd_kafka_mock_broker_set_up({brokerId})");

    /// <summary>
    /// Makes the next requests of API <paramref name="apiKey"/> (to any broker) fail with these errors, one each, in order
    /// (<c>rd_kafka_mock_push_request_errors_array</c>), e.g. <c>(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas)</c>.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        var codes = errors.Select(e => (int)e).ToArray();
        Native.PushRequestErrors(MockCluster(), (short)apiKey, codes);
    }

    /// <summary>
    /// KIP-848 session timeout and heartbeat interval the mock's group coordinator hands out (defaults 45 s and 3 s): shorter
    /// values make a vanished member's partitions move to the others sooner.
    /// </summary>
    public void SetGroupConsumerTimeouts(TimeSpan sessionTimeout, TimeSpan heartbeatInterval)
    {
        var cluster = MockCluster();
        Native.GroupConsumerSessionTimeout(cluster, (int)sessionTimeout.TotalMilliseconds);
        Native.GroupConsumerHeartbeatInterval(cluster, (int)heartbeatInterval.TotalMilliseconds);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !IsMock) return;
        Native.ClusterDestroy(_cluster);
        Native.Destroy(_handle);
    }

    private IntPtr MockCluster()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return IsMock ? _cluster : throw new InvalidOperationException(
            $"Fault injection needs librdkafka's mock cluster; this fixture uses the broker at {BootstrapServers} ({BootstrapVariable}). Use KafkaMockCluster.StartMock().");
    }

    private static void Check(int error, string call)
    {
        if (error != 0) throw new InvalidOperationException($"{call} failed: {(ErrorCode)error}.");
    }

    /// <summary>
    /// The mock cluster's C API, taken from the librdkafka Confluent.Kafka itself loaded. That is not always the default build:
    /// on Debian <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>, so Confluent falls back to <c>centos8-librdkafka.so</c>; the
    /// path actually mapped is read from <c>/proc/self/maps</c> so both share one library (and one set of globals).
    /// </summary>
    private static unsafe class Native
    {
        private static readonly object Gate = new();
        private static bool _loaded;
        private static delegate* unmanaged<IntPtr> _confNew;
        private static delegate* unmanaged<IntPtr, byte*, byte*, byte*, nuint, int> _confSet;
        private static delegate* unmanaged<int, IntPtr, byte*, nuint, IntPtr> _new;
        private static delegate* unmanaged<IntPtr, void> _destroy;
        private static delegate* unmanaged<IntPtr, int, IntPtr> _clusterNew;
        private static delegate* unmanaged<IntPtr, void> _clusterDestroy;
        private static delegate* unmanaged<IntPtr, IntPtr> _bootstraps;
        private static delegate* unmanaged<IntPtr, byte*, int, int, int> _topicCreate;
        private static delegate* unmanaged<IntPtr, int, int> _brokerSetDown;
        private static delegate* unmanaged<IntPtr, int, int> _brokerSetUp;
        private static delegate* unmanaged<IntPtr, short, nuint, int*, void> _pushRequestErrorsArray;
        private static delegate* unmanaged<IntPtr, int, void> _initialRebalanceDelay;
        private static delegate* unmanaged<IntPtr, int, void> _sessionTimeout;
        private static delegate* unmanaged<IntPtr, int, void> _heartbeatInterval;

        public static void EnsureLoaded()
        {
            lock (Gate)
            {
                if (_loaded) return;
                Library.Load();
                var path = LoadedLibraryPath();
                var library = NativeLibrary.Load(path);
                _confNew = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(library, "rd_kafka_conf_new");
                _confSet = (delegate* unmanaged<IntPtr, byte*, byte*, byte*, nuint, int>)NativeLibrary.GetExport(library, "rd_kafka_conf_set");
                _new = (delegate* unmanaged<int, IntPtr, byte*, nuint, IntPtr>)NativeLibrary.GetExport(library, "rd_kafka_new");
                _destroy = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(library, "rd_kafka_destroy");
                _clusterNew = (delegate* unmanaged<IntPtr, int, IntPtr>)NativeLibrary.GetExport(library, "rd_kafka_mock_cluster_new");
                _clusterDestroy = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(library, "rd_kafka_mock_cluster_destroy");
                _bootstraps = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(library, "rd_kafka_mock_cluster_bootstraps");
                _topicCreate = (delegate* unmanaged<IntPtr, byte*, int, int, int>)NativeLibrary.GetExport(library, "rd_kafka_mock_topic_create");
                _brokerSetDown = (delegate* unmanaged<IntPtr, int, int>)NativeLibrary.GetExport(library, "rd_kafka_mock_broker_set_down");
                _brokerSetUp = (delegate* unmanaged<IntPtr, int, int>)NativeLibrary.GetExport(library, "rd_kafka_mock_broker_set_up");
                _pushRequestErrorsArray = (delegate* unmanaged<IntPtr, short, nuint, int*, void>)NativeLibrary.GetExport(library, "rd_kafka_mock_push_request_errors_array");
                _initialRebalanceDelay = (delegate* unmanaged<IntPtr, int, void>)NativeLibrary.GetExport(library, "rd_kafka_mock_group_initial_rebalance_delay_ms");
                _sessionTimeout = (delegate* unmanaged<IntPtr, int, void>)NativeLibrary.GetExport(library, "rd_kafka_mock_set_group_consumer_session_timeout_ms");
                _heartbeatInterval = (delegate* unmanaged<IntPtr, int, void>)NativeLibrary.GetExport(library, "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms");
                _loaded = true;
            }
        }

        private static string LoadedLibraryPath()
        {
            // Each mapping line ends in the mapped file's path; the one Confluent.Kafka loaded is named *librdkafka*.so.
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                if (slash < 0) continue;
                var path = line[slash..].Trim();
                if (Path.GetFileName(path) is var name && name.Contains("librdkafka", StringComparison.Ordinal) && name.EndsWith(".so", StringComparison.Ordinal))
                    return path;
            }
            throw new InvalidOperationException("Confluent.Kafka loaded no librdkafka*.so (nothing in /proc/self/maps); the mock cluster needs Linux and librdkafka.redist.");
        }

        /// <summary>A producer handle that owns the mock cluster; it never connects anywhere itself.</summary>
        public static IntPtr NewClient()
        {
            var conf = _confNew();
            Set(conf, "client.id", "kafka-mock-cluster");
            Set(conf, "log_level", "3");
            var error = stackalloc byte[512];
            var handle = _new(0 /* RD_KAFKA_PRODUCER */, conf, error, 512);
            return handle != IntPtr.Zero ? handle : throw new InvalidOperationException("rd_kafka_new failed: " + Marshal.PtrToStringUTF8((IntPtr)error));
        }

        private static void Set(IntPtr conf, string name, string value)
        {
            var error = stackalloc byte[512];
            fixed (byte* n = Utf8(name))
            fixed (byte* v = Utf8(value))
            {
                if (_confSet(conf, n, v, error, 512) != 0 /* RD_KAFKA_CONF_OK */)
                    throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: {Marshal.PtrToStringUTF8((IntPtr)error)}");
            }
        }

        private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text + '\0');

        public static void Destroy(IntPtr handle) => _destroy(handle);

        public static IntPtr ClusterNew(IntPtr handle, int brokers) => _clusterNew(handle, brokers);

        public static void ClusterDestroy(IntPtr cluster) => _clusterDestroy(cluster);

        public static IntPtr Bootstraps(IntPtr cluster) => _bootstraps(cluster);

        public static int TopicCreate(IntPtr cluster, string topic, int partitions, int replicationFactor)
        {
            fixed (byte* name = Utf8(topic)) return _topicCreate(cluster, name, partitions, replicationFactor);
        }

        public static int BrokerSetDown(IntPtr cluster, int brokerId) => _brokerSetDown(cluster, brokerId);

        public static int BrokerSetUp(IntPtr cluster, int brokerId) => _brokerSetUp(cluster, brokerId);

        public static void PushRequestErrors(IntPtr cluster, short apiKey, int[] errors)
        {
            fixed (int* codes = errors) _pushRequestErrorsArray(cluster, apiKey, (nuint)errors.Length, codes);
        }

        public static void InitialRebalanceDelay(IntPtr cluster, int milliseconds) => _initialRebalanceDelay(cluster, milliseconds);

        public static void GroupConsumerSessionTimeout(IntPtr cluster, int milliseconds) => _sessionTimeout(cluster, milliseconds);

        public static void GroupConsumerHeartbeatInterval(IntPtr cluster, int milliseconds) => _heartbeatInterval(cluster, milliseconds);
    }
}

/// <summary>Kafka protocol API keys (the request types of <see cref="KafkaMockCluster.PushRequestErrors"/>).</summary>
public enum KafkaApiKey : short
{
    Produce = 0,
    Fetch = 1,
    ListOffsets = 2,
    Metadata = 3,
    OffsetCommit = 8,
    OffsetFetch = 9,
    FindCoordinator = 10,
    InitProducerId = 22,
    ConsumerGroupHeartbeat = 68,
}
