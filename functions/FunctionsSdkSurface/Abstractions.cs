// Microsoft.Azure.Functions.Worker.Extensions.Abstractions 1.3.0 (the members the Function App uses).
namespace Microsoft.Azure.Functions.Worker.Extensions.Abstractions
{
    [AttributeUsage(AttributeTargets.Method)]
    public abstract class BindingAttribute : Attribute
    {
    }

    [AttributeUsage(AttributeTargets.Parameter)]
    public abstract class TriggerBindingAttribute : BindingAttribute
    {
    }

    [AttributeUsage(AttributeTargets.Parameter)]
    public abstract class InputBindingAttribute : BindingAttribute
    {
    }

    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Property)]
    public abstract class OutputBindingAttribute : BindingAttribute
    {
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class BindingCapabilitiesAttribute(params string[] capabilities) : Attribute
    {
        public string[] Capabilities { get; } = capabilities;
    }

    public static class KnownBindingCapabilities
    {
        public const string FunctionLevelRetry = "FunctionLevelRetry";
    }
}

namespace Microsoft.Azure.Functions.Worker
{
    [AttributeUsage(AttributeTargets.Method)]
    public class FunctionAttribute(string name) : Attribute
    {
        public string Name { get; } = name;
    }

    [AttributeUsage(AttributeTargets.Method)]
    public abstract class RetryAttribute : Attribute
    {
        public int MaxRetryCount { get; set; }
    }

    public sealed class FixedDelayRetryAttribute : RetryAttribute
    {
        public FixedDelayRetryAttribute(int maxRetryCount, string delayInterval)
        {
            MaxRetryCount = maxRetryCount;
            DelayInterval = delayInterval;
        }

        public string DelayInterval { get; }
    }
}
