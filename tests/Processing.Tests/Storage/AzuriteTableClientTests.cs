using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.Storage;

/// <summary>The contract against a real Azurite, through the REST client and Shared Key Lite.</summary>
public sealed class AzuriteTableClientTests(AzuriteFixture azurite) : TableClientContractTests, IClassFixture<AzuriteFixture>
{
    protected override ITableServiceClient Service => azurite.Tables;
}
