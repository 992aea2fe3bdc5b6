using System.Text.RegularExpressions;
using Portcullis.Configuration;

namespace Portcullis.Secrets;

/// <summary>
/// Resolves secret references in upstream settings at connect time: a whole value <c>secret:NAME</c>, or
/// <c>${secret:NAME}</c>, <c>${env:NAME}</c> and <c>${file:PATH}</c> inside a value (e.g. <c>Bearer ${secret:kb}</c>).
/// Every value it hands out is remembered, so results that echo one can be redacted.
/// </summary>
public sealed partial class SecretReferences(ISecretStore store)
{
    private readonly HashSet<string> _issued = new(StringComparer.Ordinal);
    private readonly Lock _issuing = new();
    private volatile string[] _issuedByLength = [];

    /// <summary>Values handed out to upstream connections, longest first (redaction replaces the longest match first).</summary>
    /// <remarks>A snapshot rebuilt only when a new value is issued (at connect time): every result reads it.</remarks>
    public IReadOnlyList<string> IssuedValues => _issuedByLength;

    /// <summary>Names of the store secrets a server's settings refer to.</summary>
    public static IEnumerable<string> StoreSecretsOf(ServerConfig server) =>
        server.Env.Values.Concat(server.Headers.Values).SelectMany(StoreNames).Distinct(StringComparer.Ordinal);

    /// <summary>Resolves every reference in <paramref name="value"/>; throws <see cref="SecretUnavailableException"/> naming what is missing.</summary>
    public async Task<string> ResolveAsync(string value, CancellationToken cancellationToken)
    {
        if (WholeStoreName(value) is { } whole)
        {
            return Issue(await FromStoreAsync(whole, cancellationToken).ConfigureAwait(false));
        }

        if (!value.Contains("${", StringComparison.Ordinal))
        {
            return value;
        }

        var resolved = value;
        foreach (Match match in Reference().Matches(value))
        {
            var name = match.Groups["name"].Value;
            var secret = match.Groups["kind"].Value switch
            {
                "secret" => await FromStoreAsync(name, cancellationToken).ConfigureAwait(false),
                "env" => Environment.GetEnvironmentVariable(name) ?? throw new SecretUnavailableException($"environment variable '{name}' is not set"),
                _ => File.Exists(name) ? (await File.ReadAllTextAsync(name, cancellationToken).ConfigureAwait(false)).TrimEnd('\n', '\r') : throw new SecretUnavailableException($"secret file '{name}' does not exist"),
            };
            resolved = resolved.Replace(match.Value, Issue(secret), StringComparison.Ordinal);
        }

        return resolved;
    }

    private async Task<string> FromStoreAsync(string name, CancellationToken cancellationToken) =>
        (await store.GetAsync(name, cancellationToken).ConfigureAwait(false))?.Value
        ?? throw new SecretUnavailableException($"secret '{name}' is not in the store; set it with 'portcullis secrets set {name}'");

    private string Issue(string value)
    {
        if (value.Length >= 6)
        {
            lock (_issuing)
            {
                if (_issued.Add(value))
                {
                    _issuedByLength = [.. _issued.OrderByDescending(v => v.Length)];
                }
            }
        }

        return value;
    }

    private static IEnumerable<string> StoreNames(string value)
    {
        if (WholeStoreName(value) is { } whole)
        {
            yield return whole;
            yield break;
        }

        foreach (Match match in Reference().Matches(value))
        {
            if (match.Groups["kind"].Value == "secret")
            {
                yield return match.Groups["name"].Value;
            }
        }
    }

    /// <summary>The name in a whole-value <c>secret:NAME</c> reference, or null.</summary>
    private static string? WholeStoreName(string value) =>
        value.StartsWith("secret:", StringComparison.Ordinal) && !value.Contains("${", StringComparison.Ordinal) ? value["secret:".Length..] : null;

    [GeneratedRegex(@"\$\{(?<kind>secret|env|file):(?<name>[^}]+)\}")]
    private static partial Regex Reference();
}
