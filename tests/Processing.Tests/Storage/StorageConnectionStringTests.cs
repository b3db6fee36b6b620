using EventProcessors.Processing.Storage;

namespace EventProcessors.Processing.Tests.Storage;

public sealed class StorageConnectionStringTests
{
    private const string Key = "a2V5LWJ5dGVzLWZvci10ZXN0aW5nLW9ubHk=";

    [Theory]
    [InlineData("UseDevelopmentStorage=true")]
    [InlineData("usedevelopmentstorage=TRUE;")]
    [InlineData(" UseDevelopmentStorage = true ; ")]
    public void Development_storage_is_Azurite_with_the_well_known_account(string connectionString)
    {
        var parsed = StorageConnectionString.Parse(connectionString);

        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), parsed.TableEndpoint);
        Assert.Equal("devstoreaccount1", parsed.AccountName);
        Assert.Equal(StorageConnectionString.DevelopmentAccountKey, parsed.AccountKey);
        Assert.Equal(64, Convert.FromBase64String(parsed.AccountKey).Length);
    }

    [Fact]
    public void Account_and_key_give_the_host_style_endpoint()
    {
        var parsed = StorageConnectionString.Parse($"DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey={Key};EndpointSuffix=core.windows.net");

        Assert.Equal(new Uri("https://myaccount.table.core.windows.net"), parsed.TableEndpoint);
        Assert.Equal("myaccount", parsed.AccountName);
        Assert.Equal(Key, parsed.AccountKey);
    }

    [Fact]
    public void Protocol_and_suffix_have_defaults_and_can_be_changed()
    {
        Assert.Equal(new Uri("https://acct.table.core.windows.net"),
            StorageConnectionString.Parse($"AccountName=acct;AccountKey={Key}").TableEndpoint);
        Assert.Equal(new Uri("http://acct.table.core.chinacloudapi.cn"),
            StorageConnectionString.Parse($"DefaultEndpointsProtocol=http;AccountName=acct;AccountKey={Key};EndpointSuffix=core.chinacloudapi.cn").TableEndpoint);
    }

    [Fact]
    public void An_explicit_table_endpoint_wins_and_may_be_path_style()
    {
        var parsed = StorageConnectionString.Parse(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;");

        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), parsed.TableEndpoint);
        Assert.Equal("devstoreaccount1", parsed.AccountName);
    }

    [Theory]
    [InlineData("AccountKey=" + Key, "AccountName is missing")]
    [InlineData("AccountName=acct", "AccountKey is missing")]
    [InlineData("AccountName=acct;AccountKey=not*base64", "AccountKey is not valid Base64")]
    [InlineData("AccountName=acct;AccountKey=" + Key + ";TableEndpoint=/relative", "TableEndpoint '/relative' is not an absolute")]
    [InlineData("AccountName=acct;AccountKey=" + Key + ";TableEndpoint=ftp://host/x", "TableEndpoint 'ftp://host/x' is not an absolute http or https URI")]
    [InlineData("DefaultEndpointsProtocol=tcp;AccountName=acct;AccountKey=" + Key, "DefaultEndpointsProtocol must be 'http' or 'https'")]
    [InlineData("AccountName=bad name;AccountKey=" + Key, "do not form a valid host name")]
    [InlineData("UseDevelopmentStorage=false", "UseDevelopmentStorage must be 'true'")]
    [InlineData("AccountName=acct;AccountName=other;AccountKey=" + Key, "AccountName appears more than once")]
    [InlineData("AccountName=;AccountKey=" + Key, "AccountName has no value")]
    [InlineData("AccountName=acct;justtext", "'justtext' is not a Key=Value pair")]
    [InlineData("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2020&sig=x", "SharedAccessSignature connection strings are not supported")]
    public void Malformed_connection_strings_name_the_problem(string connectionString, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => StorageConnectionString.Parse(connectionString));

        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        Assert.Equal("connectionString", e.ParamName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_connection_strings_are_rejected(string connectionString) =>
        Assert.Throws<ArgumentException>(() => StorageConnectionString.Parse(connectionString));

    [Fact]
    public void A_malformed_pair_is_not_echoed_in_full()
    {
        var e = Assert.Throws<ArgumentException>(() => StorageConnectionString.Parse("AccountName=a;" + Key));

        Assert.DoesNotContain(Key, e.Message, StringComparison.Ordinal);
    }
}
