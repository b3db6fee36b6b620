// Each test starts broker nodes and workers of its own: one at a time, or they compete for ports and the two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
