namespace EventProcessors.Processing.Storage;

/// <summary>
/// The rows of one table in (PartitionKey, RowKey) order: a list of leaves of at most <see cref="LeafSize"/> row references each,
/// so an insert moves at most a leaf's references (and a split a list of leaves) and a row costs about a reference and a half,
/// with no object per partition. Not thread-safe: <see cref="InMemoryTable"/> guards it.
/// </summary>
internal sealed class InMemorySortedRows
{
    private const int LeafSize = 64;

    private readonly List<Leaf> _leaves = [new Leaf()];

    /// <summary>A place in the order: a leaf and an index in it (which may be one past its last row).</summary>
    public readonly record struct Position(int Leaf, int At);

    /// <summary>The first place whose row is at or after (<paramref name="partitionKey"/>, <paramref name="rowKey"/>); <paramref name="found"/> if that row has those keys.</summary>
    public Position Seek(string partitionKey, string rowKey, out bool found)
    {
        var length = partitionKey.Length + rowKey.Length;
        var keys = new InMemoryRows.SeekKeys(partitionKey, rowKey, length <= 512 ? stackalloc byte[length] : new byte[length]);
        // The last leaf whose first row is at or before the keys (or the first leaf).
        int low = 0, high = _leaves.Count - 1;
        while (low < high)
        {
            var middle = low + (high - low + 1) / 2;
            if (InMemoryRows.CompareKeys(_leaves[middle].Rows[0], keys) <= 0) low = middle;
            else high = middle - 1;
        }
        var leaf = _leaves[low];
        int first = 0, last = leaf.Count - 1;
        while (first <= last)
        {
            var middle = first + (last - first) / 2;
            var order = InMemoryRows.CompareKeys(leaf.Rows[middle], keys);
            if (order == 0)
            {
                found = true;
                return new Position(low, middle);
            }
            if (order < 0) first = middle + 1;
            else last = middle - 1;
        }
        found = false;
        return new Position(low, first);
    }

    /// <summary>The row at <paramref name="position"/>, moving it past a leaf's end first; null at the end of the table.</summary>
    public byte[]? At(ref Position position)
    {
        while (position.At >= _leaves[position.Leaf].Count)
        {
            if (position.Leaf + 1 >= _leaves.Count) return null;
            position = new Position(position.Leaf + 1, 0);
        }
        return _leaves[position.Leaf].Rows[position.At];
    }

    public static Position Next(Position position) => position with { At = position.At + 1 };

    public void Replace(Position position, byte[] row) => _leaves[position.Leaf].Rows[position.At] = row;

    /// <summary>Inserts <paramref name="row"/> at the place <see cref="Seek"/> gave for its keys.</summary>
    public void Insert(Position position, byte[] row)
    {
        var leaf = _leaves[position.Leaf];
        if (leaf.Count == LeafSize)
        {
            // Split in halves; the row goes into whichever half its place falls in.
            var upper = new Leaf();
            Array.Copy(leaf.Rows, LeafSize / 2, upper.Rows, 0, LeafSize / 2);
            Array.Clear(leaf.Rows, LeafSize / 2, LeafSize / 2);
            leaf.Count = upper.Count = LeafSize / 2;
            _leaves.Insert(position.Leaf + 1, upper);
            if (position.At > LeafSize / 2) (leaf, position) = (upper, new Position(position.Leaf + 1, position.At - LeafSize / 2));
        }
        Array.Copy(leaf.Rows, position.At, leaf.Rows, position.At + 1, leaf.Count - position.At);
        leaf.Rows[position.At] = row;
        leaf.Count++;
    }

    public void Remove(Position position)
    {
        var leaf = _leaves[position.Leaf];
        Array.Copy(leaf.Rows, position.At + 1, leaf.Rows, position.At, leaf.Count - position.At - 1);
        leaf.Rows[--leaf.Count] = null!;
        // An empty leaf goes (Seek needs every leaf's first row), unless it is the only one.
        if (leaf.Count == 0 && _leaves.Count > 1) _leaves.RemoveAt(position.Leaf);
    }

    private sealed class Leaf
    {
        public byte[][] Rows { get; } = new byte[LeafSize][];
        public int Count { get; set; }
    }
}
