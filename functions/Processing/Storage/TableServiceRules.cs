using System.Buffers;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Azure.Data.Tables.Models;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// The Table service's validation rules (limits from Learn "Understanding the Table service data model"), with the
/// status and error code the service returns. <see cref="InMemoryTableClient"/> enforces all of them;
/// <see cref="AzureTableClient"/> uses the key rule for keys it must put in a URL, the page-size cap and the
/// transaction rules, which Azurite does not enforce.
/// </summary>
internal static partial class TableServiceRules
{
    /// <summary>A string property holds at most 64 KiB of UTF-16, i.e. 32,768 chars (Azurite: <c>length &gt; 32 * 1024</c>).</summary>
    public const int MaxStringLength = 32 * 1024;

    /// <summary>A binary property holds at most 64 KiB.</summary>
    public const int MaxBinaryLength = 64 * 1024;

    /// <summary>An entity (keys, names and values, sized as the service documents) holds at most 1 MiB.</summary>
    public const int MaxEntitySize = 1024 * 1024;

    /// <summary>A key holds at most 1 KiB of UTF-16: 512 chars.</summary>
    public const int MaxKeyLength = 512;

    /// <summary>The service returns at most 1,000 entities per page.</summary>
    public const int MaxPageSize = 1000;

    public const string InvalidInput = "InvalidInput";
    public const string InvalidResourceName = "InvalidResourceName";
    public const string OutOfRangeInput = "OutOfRangeInput";
    public const string InvalidDuplicateRow = "InvalidDuplicateRow";
    public const string CommandsInBatchActOnDifferentPartitions = "CommandsInBatchActOnDifferentPartitions";

    /// <summary>What a projection always includes.</summary>
    public static readonly string[] SystemSelect = ["PartitionKey", "RowKey", "Timestamp"];

    /// <summary>A failure as the service reports it.</summary>
    public static RequestFailedException Error(int status, string errorCode, string message) =>
        new(status, $"{message}\nStatus: {status}\nErrorCode: {errorCode}", errorCode, null);

    /// <summary>The page size to request: the caller's, capped at the service's 1,000.</summary>
    public static int PageSize(int? maxPerPage)
    {
        if (maxPerPage is < 1) throw new ArgumentOutOfRangeException(nameof(maxPerPage), maxPerPage, "maxPerPage must be at least 1.");
        return Math.Min(maxPerPage ?? MaxPageSize, MaxPageSize);
    }

    /// <summary>3 to 63 letters or digits, starting with a letter, and not the reserved name "Tables".</summary>
    public static void ValidateTableName(string name)
    {
        if (IsValidTableName(name)) return;
        if (name.Length is < 3 or > 63)
            throw Error(400, OutOfRangeInput, $"The table name '{name}' is not 3 to 63 characters long.");
        if (!TableName().IsMatch(name) || name.Equals("Tables", StringComparison.OrdinalIgnoreCase))
            throw Error(400, InvalidResourceName, $"The table name '{name}' contains invalid characters.");
    }

    public static bool IsValidTableName(string name) =>
        name.Length is >= 3 and <= 63 && TableName().IsMatch(name) && !name.Equals("Tables", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the service would accept <paramref name="key"/> as a partition or row key.</summary>
    public static bool IsValidKey(string? key) => key is not null && key.Length <= MaxKeyLength && key.AsSpan().IndexOfAny(InvalidKeyChars) < 0;

    public static RequestFailedException InvalidKey() => Error(400, InvalidInput,
        "A key is longer than 512 characters or contains '/', '\\', '#', '?' or a control character.");

    /// <summary>
    /// The actions as a list, after the service's batch rules: 1 to 100 actions, one partition, each row once.
    /// An empty batch is the SDK's own <see cref="InvalidOperationException"/>.
    /// </summary>
    public static IReadOnlyList<TableTransactionAction> ValidateTransaction(IEnumerable<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        var batch = actions as IReadOnlyList<TableTransactionAction> ?? actions.ToList();
        if (batch.Count == 0) throw new InvalidOperationException("The batch contains no entity operations.");
        if (batch.Count > TableClientExtensions.MaxTransactionActions)
            throw Error(400, InvalidInput, $"The batch holds {batch.Count} operations; at most {TableClientExtensions.MaxTransactionActions} are allowed.");
        var partition = batch[0].Entity.PartitionKey;
        for (var i = 0; i < batch.Count; i++)
        {
            var entity = batch[i].Entity;
            if (entity.PartitionKey != partition)
                throw Error(400, CommandsInBatchActOnDifferentPartitions, "All commands in a batch must operate on the same partition.");
            // Compared with the rows before it rather than hashed: a batch holds at most 100, and most hold two or three.
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(batch[j].Entity.RowKey ?? "", entity.RowKey ?? "", StringComparison.Ordinal))
                    throw Error(400, InvalidDuplicateRow, $"The batch changes row '{entity.RowKey}' more than once.");
            }
        }
        return batch;
    }

    /// <summary>Throws the service's 400 for invalid keys, oversized properties or an oversized entity.</summary>
    public static void ValidateEntity(ITableEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity.PartitionKey, "entity.PartitionKey");
        ArgumentNullException.ThrowIfNull(entity.RowKey, "entity.RowKey");
        if (!IsValidKey(entity.PartitionKey) || !IsValidKey(entity.RowKey)) throw InvalidKey();

        // Size formula from the service's documentation: 4 + 2 * key chars + per property (8 + 2 * name chars + value).
        long size = 4 + 2L * (entity.PartitionKey.Length + entity.RowKey.Length);
        foreach (var (name, value) in InMemoryEntities.Properties(entity, out _))
        {
            if (value is null || TableClientExtensions.IsSystemProperty(name)) continue;
            if (value is string s && s.Length > MaxStringLength || value is byte[] b && b.Length > MaxBinaryLength
                || value is BinaryData d && d.ToMemory().Length > MaxBinaryLength)
                throw Error(400, TableErrorCode.PropertyValueTooLarge.ToString(),
                    $"The value of property '{name}' exceeds the maximum allowed size (64KB).");
            size += 8 + 2L * name.Length + value switch
            {
                string text => 4 + 2L * text.Length,
                byte[] bytes => 4 + bytes.Length,
                BinaryData data => 4 + data.ToMemory().Length,
                int => 4,
                bool => 1,
                Guid => 16,
                _ => 8, // long, double, DateTimeOffset
            };
        }
        if (size > MaxEntitySize)
            throw Error(400, TableErrorCode.EntityTooLarge.ToString(), "The entity is larger than the maximum allowed size (1MB).");
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();

    // What no key may hold: control characters (U+0000-U+001F, U+007F-U+009F), '/', '\\', '#' and '?'.
    private static readonly SearchValues<char> InvalidKeyChars = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7f, 0x21)).Select(c => (char)c), '/', '\\', '#', '?']);
}
