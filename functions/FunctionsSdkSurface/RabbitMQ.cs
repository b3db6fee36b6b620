// Microsoft.Azure.Functions.Worker.Extensions.RabbitMQ 2.1.0.
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Microsoft.Azure.Functions.Worker
{
    public sealed class RabbitMQTriggerAttribute(string queueName) : TriggerBindingAttribute
    {
        public string QueueName { get; } = queueName;

        public string? ConnectionStringSetting { get; set; }
    }
}
