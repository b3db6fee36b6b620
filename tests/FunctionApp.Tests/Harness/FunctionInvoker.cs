using System.Reflection;
using EventProcessors.FunctionApp.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace EventProcessors.FunctionApp.Tests.Harness;

/// <summary>One output binding value of an invocation: the property's binding attribute and its (non-null) value.</summary>
public sealed record OutputValue(string Name, OutputBindingAttribute Binding, object Value);

/// <summary>
/// Runs a function as the isolated worker does: the class created from the container per invocation, the trigger value
/// and a <see cref="FunctionContext"/> passed in, the returned object's output properties read by reflection, null ones
/// skipped (functions-api.md section 6).
/// </summary>
public static class FunctionInvoker
{
    private static readonly Dictionary<string, MethodInfo> Functions = typeof(FunctionRunner).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToDictionary(m => m.GetCustomAttribute<FunctionAttribute>()!.Name, StringComparer.Ordinal);

    public static MethodInfo Method(string function) => Functions[function];

    public static T TriggerOf<T>(string function) where T : Attribute =>
        Method(function).GetParameters()[0].GetCustomAttribute<T>() ?? throw new InvalidOperationException($"{function} has no {typeof(T).Name}");

    public static RetryAttribute? RetryOf(string function) => Method(function).GetCustomAttribute<RetryAttribute>();

    public static async Task<IReadOnlyList<OutputValue>> InvokeAsync(IServiceProvider services, string function, object trigger, FunctionContext context)
    {
        var method = Method(function);
        var instance = ActivatorUtilities.CreateInstance(services, method.DeclaringType!);
        object? returned;
        try
        {
            returned = method.Invoke(instance, [trigger, context]);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }
        var task = (Task)returned!;
        await task.ConfigureAwait(false);
        // Task<T> for functions with outputs; a Task whose declared return type is Task has none.
        if (!method.ReturnType.IsGenericType) return [];
        var result = task.GetType().GetProperty("Result")!.GetValue(task);
        if (result is null) return [];
        return [.. result.GetType().GetProperties()
            .Select(p => (Property: p, Binding: p.GetCustomAttribute<OutputBindingAttribute>(), Value: p.GetValue(result)))
            .Where(p => p.Binding is not null && p.Value is not null)
            .Select(p => new OutputValue(p.Property.Name, p.Binding!, p.Value!))];
    }

    /// <summary>The context of one invocation: binding data as the worker passes it, the retry context (null without a retry policy), the host's cancellation.</summary>
    public static FunctionContext Context(IReadOnlyDictionary<string, object?> bindingData, int retryCount, int? maxRetryCount, CancellationToken cancellationToken)
    {
        var binding = new Mock<BindingContext>();
        binding.Setup(b => b.BindingData).Returns(bindingData);
        var context = new Mock<FunctionContext>();
        context.Setup(c => c.InvocationId).Returns(Guid.NewGuid().ToString());
        context.Setup(c => c.BindingContext).Returns(binding.Object);
        if (maxRetryCount is { } max)
        {
            var retry = new Mock<RetryContext>();
            retry.Setup(r => r.RetryCount).Returns(retryCount);
            retry.Setup(r => r.MaxRetryCount).Returns(max);
            context.Setup(c => c.RetryContext).Returns(retry.Object);
        }
        context.Setup(c => c.CancellationToken).Returns(cancellationToken);
        return context.Object;
    }
}
