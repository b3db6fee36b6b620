using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Azure;
using Azure.Data.Tables;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// How an in-memory table holds a row: one immutable <see cref="byte"/> array per row instead of a <see cref="TableEntity"/>
/// dictionary of boxed values (a tenth of the memory: the tables of <c>serve</c> keep every idempotency record and business
/// record). Layout: the write's timestamp (UTC ticks, 8 bytes, from which the ETag follows), the PartitionKey and the RowKey
/// (each a length, then its characters: one byte each when all are ASCII, else UTF-16 code units, so rows compare ordinally
/// without decoding), then each property as its name's number in the table's
/// <see cref="PropertyNames"/>, a type tag and the value: strings as UTF-8 (lower-case GUID text as its 16 bytes), numbers
/// and times in fixed width. Values are normalised as the service returns them (see <see cref="InMemoryEntities"/>).
/// </summary>
internal sealed class InMemoryRows
{
    private const int TicksBytes = 8;
    // A key's length word: its number of characters, with this bit set when each is one ASCII byte.
    private const int AsciiKey = 1 << 30;
    // The length of every ETag: W/"datetime'yyyy-MM-ddTHH%3Amm%3Ass.fffffffZ'".
    private const int ETagLength = 46;

    private enum Tag : byte { Utf8, Utf16, GuidText, Int32, Int64, Double, True, False, Guid, Time, Binary }

    private readonly PropertyNames _names = new();

    /// <summary>The row of <paramref name="entity"/> (its own properties, normalised), stamped later by <see cref="Stamp"/>.</summary>
    public byte[] Encode(ITableEntity entity)
    {
        var writer = new RowWriter(entity.PartitionKey, entity.RowKey);
        foreach (var (name, value) in InMemoryEntities.Properties(entity, out _))
        {
            if (IsProperty(name, value)) writer.Property(_names.IdOf(name), InMemoryEntities.Normalise(name, value));
        }
        return writer.ToArray();
    }

    /// <summary><paramref name="stored"/>'s properties with <paramref name="changes"/>' laid over them in place, new ones after (a merge).</summary>
    public byte[] Merge(byte[] stored, ITableEntity changes)
    {
        // The changes by name number, in the caller's order: searched linearly, as entities hold few properties (at most 252).
        var properties = InMemoryEntities.Properties(changes, out var most);
        Span<int> ids = most <= 64 ? stackalloc int[most] : new int[most];
        var values = ArrayPool<object?>.Shared.Rent(most);
        var count = 0;
        foreach (var (name, value) in properties)
        {
            if (!IsProperty(name, value)) continue;
            var id = _names.IdOf(name);
            var at = ids[..count].IndexOf(id);
            if (at < 0) ids[at = count++] = id;
            values[at] = InMemoryEntities.Normalise(name, value);
        }
        try
        {
            var writer = new RowWriter(changes.PartitionKey, changes.RowKey);
            var reader = new RowReader(stored);
            while (reader.Next(out var id, out _, out _, out var whole))
            {
                var at = ids[..count].IndexOf(id);
                if (at < 0 || values[at] is not { } value)
                {
                    writer.Raw(whole);
                    continue;
                }
                writer.Property(id, value);
                values[at] = null;
            }
            for (var i = 0; i < count; i++)
            {
                if (values[i] is { } value) writer.Property(ids[i], value);
            }
            return writer.ToArray();
        }
        finally
        {
            ArrayPool<object?>.Shared.Return(values, clearArray: true);
        }
    }

    // What a row holds of an entity: its custom properties (see TableClientExtensions.Properties), enumerated without a query.
    private static bool IsProperty(string name, object? value) => value is not null && !TableClientExtensions.IsSystemProperty(name);

    /// <summary>Gives <paramref name="row"/> the timestamp of its write, in UTC ticks (rows are stamped before anyone else sees them).</summary>
    public static void Stamp(byte[] row, long ticks) => BinaryPrimitives.WriteInt64LittleEndian(row, ticks);

    public static DateTimeOffset Timestamp(byte[] row) => new(BinaryPrimitives.ReadInt64LittleEndian(row), TimeSpan.Zero);

    public static string PartitionKey(byte[] row) => KeyText(row, TicksBytes);

    public static string RowKey(byte[] row) => KeyText(row, KeyEnd(row, TicksBytes));

    /// <summary>The row's PartitionKey against <paramref name="key"/>, ordinally: negative, zero or positive.</summary>
    public static int ComparePartitionKey(byte[] row, string key) => CompareKey(row, TicksBytes, key);

    /// <summary>The row's RowKey against <paramref name="key"/>, ordinally.</summary>
    public static int CompareRowKey(byte[] row, string key) => CompareKey(row, KeyEnd(row, TicksBytes), key);

    /// <summary>The row's (PartitionKey, RowKey) against the given keys: the table's order.</summary>
    public static int CompareKeys(byte[] row, string partitionKey, string rowKey)
    {
        var order = CompareKey(row, TicksBytes, partitionKey);
        return order != 0 ? order : CompareKey(row, KeyEnd(row, TicksBytes), rowKey);
    }

    /// <summary>
    /// Keys a seek compares many rows against, with their ASCII bytes when both are ASCII (the common case): a row's ASCII key then
    /// compares as one vectorised byte comparison instead of a character loop. <paramref name="buffer"/> holds at least both keys' length.
    /// </summary>
    public readonly ref struct SeekKeys
    {
        public SeekKeys(string partitionKey, string rowKey, Span<byte> buffer)
        {
            (PartitionKey, RowKey) = (partitionKey, rowKey);
            IsAscii = Ascii.FromUtf16(partitionKey, buffer, out var partitionLength) == OperationStatus.Done
                && Ascii.FromUtf16(rowKey, buffer[partitionLength..], out _) == OperationStatus.Done;
            PartitionAscii = buffer[..partitionKey.Length];
            RowAscii = buffer.Slice(partitionKey.Length, rowKey.Length);
        }

        public string PartitionKey { get; }
        public string RowKey { get; }
        public bool IsAscii { get; }
        public ReadOnlySpan<byte> PartitionAscii { get; }
        public ReadOnlySpan<byte> RowAscii { get; }
    }

    /// <summary><see cref="CompareKeys(byte[], string, string)"/> for a seek's keys.</summary>
    public static int CompareKeys(byte[] row, in SeekKeys keys)
    {
        if (!keys.IsAscii) return CompareKeys(row, keys.PartitionKey, keys.RowKey);
        var order = CompareAsciiKey(row, TicksBytes, keys.PartitionKey, keys.PartitionAscii);
        return order != 0 ? order : CompareAsciiKey(row, KeyEnd(row, TicksBytes), keys.RowKey, keys.RowAscii);
    }

    private static int CompareAsciiKey(byte[] row, int at, string key, ReadOnlySpan<byte> ascii)
    {
        var word = BinaryPrimitives.ReadInt32LittleEndian(row.AsSpan(at));
        return (word & AsciiKey) != 0 ? row.AsSpan(at + 4, word & ~AsciiKey).SequenceCompareTo(ascii) : CompareKey(row, at, key);
    }

    /// <summary>Two rows in the table's order, by their keys.</summary>
    public static int CompareRows(byte[] a, byte[] b)
    {
        var order = CompareKey(a, TicksBytes, b, TicksBytes);
        return order != 0 ? order : CompareKey(a, KeyEnd(a, TicksBytes), b, KeyEnd(b, TicksBytes));
    }

    private static int CompareKey(byte[] a, int aAt, byte[] b, int bAt)
    {
        var (aWord, bWord) = (BinaryPrimitives.ReadInt32LittleEndian(a.AsSpan(aAt)), BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(bAt)));
        var (aAscii, bAscii) = ((aWord & AsciiKey) != 0, (bWord & AsciiKey) != 0);
        if (aAscii && bAscii) return a.AsSpan(aAt + 4, aWord & ~AsciiKey).SequenceCompareTo(b.AsSpan(bAt + 4, bWord & ~AsciiKey));
        if (!aAscii && !bAscii)
            return MemoryMarshal.Cast<byte, char>(a.AsSpan(aAt + 4, 2 * aWord)).SequenceCompareTo(MemoryMarshal.Cast<byte, char>(b.AsSpan(bAt + 4, 2 * bWord)));
        // One of each: rare (only keys with non-ASCII characters are held as UTF-16), so compared as text.
        return string.CompareOrdinal(KeyText(a, aAt), KeyText(b, bAt));
    }

    private static int KeyEnd(byte[] row, int at)
    {
        var word = BinaryPrimitives.ReadInt32LittleEndian(row.AsSpan(at));
        return at + 4 + ((word & AsciiKey) != 0 ? word & ~AsciiKey : 2 * word);
    }

    private static string KeyText(byte[] row, int at)
    {
        var word = BinaryPrimitives.ReadInt32LittleEndian(row.AsSpan(at));
        return (word & AsciiKey) != 0
            ? Encoding.ASCII.GetString(row, at + 4, word & ~AsciiKey)
            : new string(MemoryMarshal.Cast<byte, char>(row.AsSpan(at + 4, 2 * word)));
    }

    private static int CompareKey(byte[] row, int at, string key)
    {
        var word = BinaryPrimitives.ReadInt32LittleEndian(row.AsSpan(at));
        if ((word & AsciiKey) == 0) return MemoryMarshal.Cast<byte, char>(row.AsSpan(at + 4, 2 * word)).SequenceCompareTo(key);
        var bytes = row.AsSpan(at + 4, word & ~AsciiKey);
        var common = Math.Min(bytes.Length, key.Length);
        for (var i = 0; i < common; i++)
        {
            if (bytes[i] != key[i]) return bytes[i] - key[i];
        }
        return bytes.Length - key.Length;
    }

    /// <summary>The ETag of the write that stored <paramref name="row"/>, in the service's form <c>W/"datetime'&lt;URL-encoded timestamp&gt;'"</c>.</summary>
    public static ETag ETagOf(byte[] row) =>
        new(string.Create(ETagLength, BinaryPrimitives.ReadInt64LittleEndian(row), static (text, ticks) => FormatETag(text, ticks)));

    /// <summary>Whether <paramref name="etag"/> is the ETag of <paramref name="row"/>'s write, without making that ETag's text.</summary>
    public static bool HasETag(byte[] row, ETag etag)
    {
        Span<char> text = stackalloc char[ETagLength];
        FormatETag(text, BinaryPrimitives.ReadInt64LittleEndian(row));
        return text.SequenceEqual(etag.ToString());
    }

    // W/"datetime'yyyy-MM-ddTHH%3Amm%3Ass.fffffffZ'" written digit by digit, as a custom DateTime format is parsed on every call.
    private static void FormatETag(Span<char> text, long ticks)
    {
        new DateTime(ticks, DateTimeKind.Utc).Deconstruct(out var year, out var month, out var day);
        var time = ticks % TimeSpan.TicksPerDay;
        "W/\"datetime'".CopyTo(text);
        Digits(text.Slice(12, 4), year);
        text[16] = '-';
        Digits(text.Slice(17, 2), month);
        text[19] = '-';
        Digits(text.Slice(20, 2), day);
        text[22] = 'T';
        Digits(text.Slice(23, 2), (int)(time / TimeSpan.TicksPerHour));
        "%3A".CopyTo(text[25..]);
        Digits(text.Slice(28, 2), (int)(time / TimeSpan.TicksPerMinute % 60));
        "%3A".CopyTo(text[30..]);
        Digits(text.Slice(33, 2), (int)(time / TimeSpan.TicksPerSecond % 60));
        text[35] = '.';
        Digits(text.Slice(36, 7), (int)(time % TimeSpan.TicksPerSecond));
        "Z'\"".CopyTo(text[43..]);
    }

    private static void Digits(Span<char> text, int value)
    {
        for (var i = text.Length - 1; i >= 0; i--, value /= 10) text[i] = (char)('0' + value % 10);
    }

    /// <summary>The row as the SDK returns an entity: keys, ETag, Timestamp, then the properties (only the <paramref name="select"/>ed ones if given).</summary>
    public TableEntity Decode(byte[] row, IReadOnlyList<string>? select = null)
    {
        var entity = new TableEntity(PartitionKey(row), RowKey(row)) { ETag = ETagOf(row), Timestamp = Timestamp(row) };
        var names = _names.Snapshot;
        var reader = new RowReader(row);
        while (reader.Next(out var id, out var tag, out var payload, out _))
        {
            var name = names[id];
            if (select is null || select.Contains(name, StringComparer.Ordinal)) entity[name] = Value(tag, payload);
        }
        return entity;
    }

    private static object Value(Tag tag, ReadOnlySpan<byte> payload) => tag switch
    {
        Tag.Utf8 => Encoding.UTF8.GetString(payload),
        Tag.Utf16 => new string(MemoryMarshal.Cast<byte, char>(payload)),
        Tag.GuidText => new Guid(payload).ToString(),
        Tag.Int32 => BinaryPrimitives.ReadInt32LittleEndian(payload),
        Tag.Int64 => BinaryPrimitives.ReadInt64LittleEndian(payload),
        Tag.Double => BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(payload)),
        Tag.True => true,
        Tag.False => false,
        Tag.Guid => new Guid(payload),
        Tag.Time => new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(payload), TimeSpan.Zero),
        Tag.Binary => payload.ToArray(),
        _ => throw new InvalidDataException($"Unknown value tag {tag} in an in-memory row."),
    };

    /// <summary>A lower-case GUID in its "D" form, so that its 16 bytes give back exactly the same text.</summary>
    private static bool IsGuidText(string s)
    {
        if (s.Length != 36) return false;
        for (var i = 0; i < 36; i++)
        {
            var c = s[i];
            var ok = i is 8 or 13 or 18 or 23 ? c == '-' : char.IsAsciiDigit(c) || c is >= 'a' and <= 'f';
            if (!ok) return false;
        }
        return true;
    }

    /// <summary>Builds one row in a pooled buffer; <see cref="ToArray"/> copies it out at its exact size.</summary>
    private ref struct RowWriter
    {
        private byte[] _buffer;
        private int _length;

        public RowWriter(string partitionKey, string rowKey)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(TicksBytes + 8 + 2 * (partitionKey.Length + rowKey.Length) + 256);
            _length = TicksBytes;
            Key(partitionKey);
            Key(rowKey);
        }

        private void Key(string key)
        {
            if (Ascii.IsValid(key))
            {
                BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), key.Length | AsciiKey);
                Ascii.FromUtf16(key, Reserve(key.Length), out _);
            }
            else
            {
                BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), key.Length);
                MemoryMarshal.AsBytes(key.AsSpan()).CopyTo(Reserve(2 * key.Length));
            }
        }

        public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

        public void Property(int id, object value)
        {
            WriteCount(id);
            switch (value)
            {
                case string s when IsGuidText(s):
                    Head(Tag.GuidText, 16);
                    Guid.ParseExact(s, "D").TryWriteBytes(Reserve(16));
                    break;
                case string s when Ascii.IsValid(s):
                    // ASCII (nearly every value) is its own UTF-8, written in place.
                    Head(Tag.Utf8, s.Length);
                    Ascii.FromUtf16(s, Reserve(s.Length), out _);
                    break;
                case string s:
                    // UTF-8 goes 6 bytes ahead (room for the tag and its length), then moves back behind them. Lone surrogates
                    // have no UTF-8 form: such text is kept as UTF-16, exactly as given.
                    var start = _length;
                    var room = Reserve(6 + Encoding.UTF8.GetMaxByteCount(s.Length));
                    _length = start;
                    if (Utf8.FromUtf16(s, room[6..], out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done)
                    {
                        Head(Tag.Utf8, written);
                        room.Slice(6, written).CopyTo(Reserve(written));
                    }
                    else
                    {
                        Head(Tag.Utf16, 2 * s.Length);
                        MemoryMarshal.AsBytes(s.AsSpan()).CopyTo(Reserve(2 * s.Length));
                    }
                    break;
                case int i:
                    Head(Tag.Int32, 4);
                    BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), i);
                    break;
                case long l:
                    Head(Tag.Int64, 8);
                    BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), l);
                    break;
                case double d:
                    Head(Tag.Double, 8);
                    BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), BitConverter.DoubleToInt64Bits(d));
                    break;
                case bool b:
                    Head(b ? Tag.True : Tag.False, 0);
                    break;
                case Guid g:
                    Head(Tag.Guid, 16);
                    g.TryWriteBytes(Reserve(16));
                    break;
                case DateTimeOffset t:
                    Head(Tag.Time, 8);
                    BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), t.UtcTicks);
                    break;
                case byte[] bytes:
                    Head(Tag.Binary, bytes.Length);
                    bytes.CopyTo(Reserve(bytes.Length));
                    break;
                default:
                    throw new ArgumentException($"In-memory rows cannot hold a {value.GetType().Name}.", nameof(value));
            }
        }

        public byte[] ToArray()
        {
            var row = _buffer.AsSpan(0, _length).ToArray();
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            return row;
        }

        // A fixed-width value's length follows from its tag; only strings and binary write theirs.
        private void Head(Tag tag, int length)
        {
            Reserve(1)[0] = (byte)tag;
            if (tag is Tag.Utf8 or Tag.Utf16 or Tag.Binary) WriteCount(length);
        }

        private void WriteCount(int value)
        {
            var v = (uint)value;
            while (v >= 0x80)
            {
                Reserve(1)[0] = (byte)(v | 0x80);
                v >>= 7;
            }
            Reserve(1)[0] = (byte)v;
        }

        private Span<byte> Reserve(int count)
        {
            if (_length + count > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + count));
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
            var span = _buffer.AsSpan(_length, count);
            _length += count;
            return span;
        }
    }

    /// <summary>Walks a row's properties: each one's name number, tag, value bytes, and all of its bytes.</summary>
    private ref struct RowReader(byte[] row)
    {
        private int _position = KeyEnd(row, KeyEnd(row, TicksBytes));

        public bool Next(out int id, out Tag tag, out ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> whole)
        {
            payload = whole = default;
            tag = default;
            id = 0;
            if (_position >= row.Length) return false;
            var start = _position;
            id = ReadCount();
            tag = (Tag)row[_position++];
            var length = tag switch
            {
                Tag.Utf8 or Tag.Utf16 or Tag.Binary => ReadCount(),
                Tag.GuidText or Tag.Guid => 16,
                Tag.Int32 => 4,
                Tag.Int64 or Tag.Double or Tag.Time => 8,
                _ => 0,
            };
            payload = row.AsSpan(_position, length);
            _position += length;
            whole = row.AsSpan(start, _position - start);
            return true;
        }

        private int ReadCount()
        {
            var value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = row[_position++];
                value |= (b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
        }
    }

    /// <summary>A table's property names, each stored once and referred to by its number in every row.</summary>
    private sealed class PropertyNames
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();
        private volatile string[] _names = [];

        /// <summary>Every name numbered so far; a row only refers to names numbered before it was written.</summary>
        public string[] Snapshot => _names;

        public int IdOf(string name)
        {
            if (_ids.TryGetValue(name, out var id)) return id;
            lock (_gate)
            {
                if (_ids.TryGetValue(name, out id)) return id;
                id = _names.Length;
                _names = [.. _names, name];
                _ids[name] = id;
                return id;
            }
        }
    }
}
