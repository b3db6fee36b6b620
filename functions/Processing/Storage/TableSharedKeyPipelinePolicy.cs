using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace EventProcessors.Processing.Storage;

/// <summary>
/// Signs each request with Shared Key Lite for the Table service:
/// <c>StringToSign = x-ms-date + "\n" + "/" + account + path as sent [+ "?comp=" + value]</c>,
/// signature = Base64(HMAC-SHA256(Base64Decode(key), UTF-8(StringToSign))).
/// Runs per retry so every attempt carries a fresh date.
/// </summary>
internal sealed class TableSharedKeyPipelinePolicy : HttpPipelineSynchronousPolicy
{
    private readonly string _accountName;
    private readonly byte[] _key;
    private readonly TimeProvider _clock;

    public TableSharedKeyPipelinePolicy(string accountName, string accountKey, TimeProvider? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(accountName);
        ArgumentException.ThrowIfNullOrEmpty(accountKey);
        _accountName = accountName;
        _key = Convert.FromBase64String(accountKey);
        _clock = clock ?? TimeProvider.System;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        var date = _clock.GetUtcNow().ToString("r", CultureInfo.InvariantCulture);
        message.Request.Headers.SetValue("x-ms-date", date);
        var signature = Sign(date + "\n" + CanonicalizedResource(message.Request.Uri.ToUri()));
        message.Request.Headers.SetValue(HttpHeader.Names.Authorization, $"SharedKeyLite {_accountName}:{signature}");
    }

    internal string CanonicalizedResource(Uri uri)
    {
        // AbsolutePath keeps the percent-encoding the request is sent with, which is what the service signs.
        var resource = "/" + _accountName + uri.AbsolutePath;
        var comp = CompValue(uri.Query);
        return comp is null ? resource : resource + "?comp=" + comp;
    }

    internal string Sign(string stringToSign) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(stringToSign)));

    private static string? CompValue(string query)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (pair.StartsWith("comp=", StringComparison.OrdinalIgnoreCase)) return pair["comp=".Length..];
        }
        return null;
    }
}
