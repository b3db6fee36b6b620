using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.Idempotency;

public sealed class AzuriteIdempotencyStoreTests(AzuriteFixture azurite) : IdempotencyStoreContract, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Tables => azurite.Tables;
}

public sealed class InMemoryIdempotencyStoreTests : IdempotencyStoreContract
{
    protected override ITableServiceClient Tables { get; } = new InMemoryTableServiceClient();
}
