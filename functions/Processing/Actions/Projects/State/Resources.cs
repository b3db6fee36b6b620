using EventProcessors.Processing.State;
using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Actions.Projects.State;

/// <summary>Assignable resources in Table Storage (table <c>Resources</c>), one document per (tenant, resource id).</summary>
public sealed class Resources(ITableServiceClient tables)
{
    public const string TableName = "Resources";

    private readonly StateStore<Resource> _store = new(tables, TableName);

    public async Task<Resource?> GetAsync(string tenant, string resourceId, CancellationToken cancellationToken = default) =>
        (await _store.GetAsync(tenant, resourceId, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>Creates the resource unless it exists; returns the one that stands.</summary>
    public Task<Resource> CreateAsync(string tenant, Resource resource, CancellationToken cancellationToken) =>
        _store.UpdateAsync(tenant, resource.ResourceId, current => current is null ? (resource, resource) : (null, current), cancellationToken);
}
