// Microsoft.Azure.Functions.Worker.Core 2.x: FunctionContext and the contexts it exposes (abstract, as in the
// real assembly, so tests can mock them). Members the Function App does not use are left out.
namespace Microsoft.Azure.Functions.Worker
{
    public abstract class FunctionContext
    {
        public abstract string InvocationId { get; }

        public abstract string FunctionId { get; }

        public abstract TraceContext TraceContext { get; }

        public abstract BindingContext BindingContext { get; }

        public abstract RetryContext RetryContext { get; }

        public abstract IServiceProvider InstanceServices { get; set; }

        public abstract FunctionDefinition FunctionDefinition { get; }

        public abstract IDictionary<object, object> Items { get; set; }

        public virtual CancellationToken CancellationToken { get; } = CancellationToken.None;
    }

    public abstract class RetryContext
    {
        public abstract int RetryCount { get; }

        public abstract int MaxRetryCount { get; }
    }

    public abstract class TraceContext
    {
        public abstract string TraceParent { get; }

        public abstract string TraceState { get; }
    }

    public abstract class BindingContext
    {
        public abstract IReadOnlyDictionary<string, object?> BindingData { get; }
    }

    public abstract class FunctionDefinition
    {
        public abstract string Id { get; }

        public abstract string Name { get; }
    }
}
