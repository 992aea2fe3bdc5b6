using System.Text.RegularExpressions;
using Portcullis.Configuration;

namespace Portcullis.Secrets;

/// <summary>
/// Resolves secret references in upstream settings at connect time: a whole value <c>secret:NAME</c>, or
/// <c>${secret:NAME}</c>, <c>${env:NAME}</c> and <c>${file:PATH}</c> inside a value (e.g. <c>Bearer ${secret:kb}</c>),
/// and <c>${member:NAME}</c>: the calling member's own credential, stored per member and resolved only on a
/// connection opened for that member. Every value it hands out is remembered, so results that echo one can be redacted.
/// </summary>
public sealed partial class SecretReferences(ISecretStore store)
{
    private readonly HashSet<string> _issued = new(StringComparer.Ordinal);
    private readonly Lock _issuing = new();
    private volatile string[] _issuedByLength = [];

    /// <summary>The store references resolve against.</summary>
    public ISecretStore Store => store;

    /// <summary>Values handed out to upstream connections, longest first (redaction replaces the longest match first).</summary>
    /// <remarks>A snapshot rebuilt only when a new value is issued (at connect time): every result reads it.</remarks>
    public IReadOnlyList<string> IssuedValues => _issuedByLength;

    /// <summary>Names of the store secrets a server's settings refer to.</summary>
    public static IEnumerable<string> StoreSecretsOf(ServerConfig server) =>
        server.Env.Values.Concat(server.Headers.Values).SelectMany(v => StoreNames(v, "secret")).Distinct(StringComparer.Ordinal);

    /// <summary>Names of the per-member credentials a server's settings refer to (<c>${member:NAME}</c>); empty for a shared server.</summary>
    public static IReadOnlyList<string> MemberCredentialsOf(ServerConfig server) =>
        [.. server.Env.Values.Concat(server.Headers.Values).SelectMany(v => StoreNames(v, "member")).Distinct(StringComparer.Ordinal)];

    /// <summary>The store name of member <paramref name="memberKey"/>'s credential <paramref name="name"/>.</summary>
    public static string MemberSecretName(string memberKey, string name) => $"{MemberPrefix}{memberKey}/{name}";

    /// <summary>Store names under this prefix are members' own credentials, not the operators' secrets.</summary>
    private const string MemberPrefix = "member/";

    /// <summary>True when <paramref name="storeName"/> is a member's own credential.</summary>
    public static bool IsMemberSecret(string storeName) => storeName.StartsWith(MemberPrefix, StringComparison.Ordinal);

    /// <summary>The member a <see cref="MemberSecretName"/> belongs to (the key keeps its own slashes: issuers are URLs).</summary>
    public static string MemberKeyOfSecret(string storeName) => storeName[MemberPrefix.Length..storeName.LastIndexOf('/')];

    /// <summary>For each stored secret's name, the servers whose settings refer to it.</summary>
    public static ILookup<string, string> UsersOf(IEnumerable<ServerConfig> servers) =>
        servers.SelectMany(s => StoreSecretsOf(s).Select(name => (Name: name, Server: s.Id))).ToLookup(x => x.Name, x => x.Server, StringComparer.Ordinal);

    /// <summary>
    /// Resolves every reference in <paramref name="value"/> for the connection of <paramref name="memberKey"/> (null: the
    /// shared connection). Returns null when the value needs a member credential and there is no member, so the setting
    /// is left out. Throws <see cref="SecretUnavailableException"/> naming what is missing.
    /// </summary>
    public async Task<string?> ResolveAsync(string value, string? memberKey, CancellationToken cancellationToken)
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
            var kind = match.Groups["kind"].Value;
            if (kind == "member" && memberKey is null)
            {
                return null;
            }

            var secret = kind switch
            {
                "secret" => await FromStoreAsync(name, cancellationToken).ConfigureAwait(false),
                "member" => (await store.GetAsync(MemberSecretName(memberKey!, name), cancellationToken).ConfigureAwait(false))?.Value
                    ?? throw new SecretUnavailableException(MissingMemberCredential(name)),
                "env" => Environment.GetEnvironmentVariable(name) ?? throw new SecretUnavailableException($"environment variable '{name}' is not set"),
                _ => File.Exists(name) ? (await File.ReadAllTextAsync(name, cancellationToken).ConfigureAwait(false)).TrimEnd('\n', '\r') : throw new SecretUnavailableException($"secret file '{name}' does not exist"),
            };
            resolved = resolved.Replace(match.Value, Issue(secret), StringComparison.Ordinal);
        }

        return resolved;
    }

    /// <summary>What a member without credential <paramref name="name"/> is told.</summary>
    public static string MissingMemberCredential(string name) =>
        $"this server acts with each member's own credential '{name}', and you have not stored yours; store it with 'portcullis credentials set {name}' (your member token, the value on standard input) or PUT /me/credentials/{name}";

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

    private static IEnumerable<string> StoreNames(string value, string kind)
    {
        if (kind == "secret" && WholeStoreName(value) is { } whole)
        {
            yield return whole;
            yield break;
        }

        foreach (Match match in Reference().Matches(value))
        {
            if (match.Groups["kind"].Value == kind)
            {
                yield return match.Groups["name"].Value;
            }
        }
    }

    /// <summary>The name in a whole-value <c>secret:NAME</c> reference, or null.</summary>
    private static string? WholeStoreName(string value) =>
        value.StartsWith("secret:", StringComparison.Ordinal) && !value.Contains("${", StringComparison.Ordinal) ? value["secret:".Length..] : null;

    [GeneratedRegex(@"\$\{(?<kind>secret|member|env|file):(?<name>[^}]+)\}")]
    private static partial Regex Reference();
}
