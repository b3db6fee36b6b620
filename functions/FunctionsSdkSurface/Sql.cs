// Microsoft.Azure.Functions.Worker.Extensions.Sql 3.1.536.
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Microsoft.Azure.Functions.Worker.Extensions.Sql
{
    public class SqlOutputAttribute : OutputBindingAttribute
    {
        public SqlOutputAttribute(string commandText, string connectionStringSetting)
        {
            CommandText = commandText ?? throw new ArgumentNullException(nameof(commandText));
            ConnectionStringSetting = connectionStringSetting ?? throw new ArgumentNullException(nameof(connectionStringSetting));
        }

        public string CommandText { get; }

        public string ConnectionStringSetting { get; }
    }
}
