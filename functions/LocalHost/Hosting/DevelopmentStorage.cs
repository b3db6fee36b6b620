using EventProcessors.Processing.Storage;

namespace EventProcessors.LocalHost.Hosting;

/// <summary>
/// Storage that is fine for development and loses acknowledged work in a plant: the in-memory account, and Azurite
/// (<c>UseDevelopmentStorage=true</c> or the <c>devstoreaccount1</c> account), whose table store is saved to disk only
/// every few seconds, so a kill or power loss forgets writes it had acknowledged (and with them, idempotency records).
/// </summary>
public static class DevelopmentStorage
{
    /// <summary>The warning <c>serve</c> prints for <paramref name="tableStorage"/> (the <c>TableStorage</c> setting), or null for a real account.</summary>
    public static string? Warning(string? tableStorage)
    {
        var value = string.IsNullOrWhiteSpace(tableStorage) ? TableServiceClientFactory.InMemoryConnectionString : tableStorage.Trim();
        var what = value.Equals(TableServiceClientFactory.InMemoryConnectionString, StringComparison.OrdinalIgnoreCase)
            ? "in-memory storage: every idempotency record and business record is lost when the worker stops"
            : value.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)
              || value.Contains(TableServiceClientFactory.DevelopmentAccountName, StringComparison.OrdinalIgnoreCase)
                ? "development storage (Azurite): it saves its tables every few seconds and loses acknowledged writes when it is killed"
                : null;
        return what is null
            ? null
            : $"serve is using {what}. That is for development only; a plant needs durable storage: an Azure Storage account " +
              "(TableStorage=<its connection string>, or TableStorage:tableServiceUri with a managed identity).";
    }
}
