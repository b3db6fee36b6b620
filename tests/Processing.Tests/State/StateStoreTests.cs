using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;
using EventProcessors.TestSupport;

namespace EventProcessors.Processing.Tests.State;

public sealed class StateStoreTests
{
    private sealed record Part(string PartId, string Description);

    [Fact]
    public async Task A_document_longer_than_one_property_holds_is_spread_over_several_and_read_back_whole()
    {
        var tables = new InMemoryTableServiceClient();
        var store = new StateStore<Part>(tables, "Parts");
        var description = string.Concat(Enumerable.Range(0, 11_000).Select(i => $"{i:D5}ü")); // 66,000 characters, not all ASCII
        await store.PutAsync("tenant-a", "P-LONG", new Part("P-LONG", description));

        var row = await tables.GetTableClient("Parts").QueryAsync().SingleAsync();
        Assert.Equal(3, row.GetInt32("DocumentParts"));
        Assert.Equal(description, (await store.GetAsync("tenant-a", "P-LONG"))!.Value.Description);
    }

    [Fact]
    public async Task Delete_removes_one_tenants_document_in_one_request_and_says_when_there_was_none()
    {
        var tables = new CountingTables(new InMemoryTableServiceClient());
        var store = new StateStore<Part>(tables, "Parts");
        await store.PutAsync("tenant-a", "P-1", new Part("P-1", "Bracket"));
        await store.PutAsync("tenant-b", "P-1", new Part("P-1", "Bracket, other tenant"));
        tables.Reset();

        Assert.True(await store.DeleteAsync("tenant-a", "P-1"));
        Assert.Equal(1, tables.Requests);
        Assert.Equal(1, tables.ByOperation["DeleteEntity"]);

        Assert.False(await store.DeleteAsync("tenant-a", "P-1"));
        Assert.Null(await store.GetAsync("tenant-a", "P-1"));
        Assert.Equal("Bracket, other tenant", (await store.GetAsync("tenant-b", "P-1"))!.Value.Description);
    }

    [Fact]
    public async Task AddOrGet_inserts_a_new_document_in_one_request_and_returns_the_stored_one_when_it_exists()
    {
        var tables = new CountingTables(new InMemoryTableServiceClient());
        var store = new StateStore<Part>(tables, "Parts");
        await store.PutAsync("tenant-b", "P-1", new Part("P-1", "Bracket, other tenant"));
        tables.Reset();

        var first = await store.AddOrGetAsync("tenant-a", "P-1", new Part("P-1", "Bracket"));
        Assert.Equal("Bracket", first.Description);
        Assert.Equal(1, tables.Requests);

        tables.Reset();
        var second = await store.AddOrGetAsync("tenant-a", "P-1", new Part("P-1", "Bracket, re-sent"));
        Assert.Equal("Bracket", second.Description);
        Assert.Equal(2, tables.Requests);
        Assert.Equal("Bracket", (await store.GetAsync("tenant-a", "P-1"))!.Value.Description);
        Assert.Equal("Bracket, other tenant", (await store.GetAsync("tenant-b", "P-1"))!.Value.Description);
    }
}
