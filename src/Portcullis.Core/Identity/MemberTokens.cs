using System.Security.Cryptography;
using System.Text;

namespace Portcullis.Identity;

/// <summary>
/// Issues and checks member access tokens. A token reads <c>pcm_&lt;id&gt;_&lt;secret&gt;</c>: the id finds the record,
/// the secret is compared by SHA-256 in constant time, and only the hash is ever stored. Every check reads the store,
/// so a revocation holds from the very next request, on open sessions too (the store keeps live records only until
/// a revocation anywhere).
/// </summary>
public sealed class MemberTokens(IMemberTokenStore store, TimeProvider time)
{
    /// <summary>Prefix of every member token (lets scanners and the front door recognise one).</summary>
    public const string Prefix = "pcm_";

    /// <summary>The <see cref="Principal.Issuer"/> of member-token principals.</summary>
    public const string Issuer = "portcullis";

    /// <summary>Longest lifetime a token may be issued with.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    /// <summary>Creates a token; the returned text is the only time the secret exists outside the caller.</summary>
    public async Task<(string Token, MemberToken Record)> IssueAsync(MemberTokenRequest request, string issuedBy, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Member))
        {
            throw new ArgumentException("A token needs a member.", nameof(request));
        }

        if (request.Lifetime <= TimeSpan.Zero || request.Lifetime > MaxLifetime)
        {
            throw new ArgumentException($"A token's lifetime must be between 1 second and {MaxLifetime.TotalDays:0} days.", nameof(request));
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        var record = new MemberToken
        {
            Id = id,
            Member = request.Member,
            Kind = request.Kind,
            Roles = request.Roles,
            Servers = request.Servers,
            Agent = request.Agent,
            Tenant = request.Tenant,
            SecretHash = SHA256.HashData(Encoding.ASCII.GetBytes(secret)),
            CreatedAt = now,
            ExpiresAt = now + request.Lifetime,
            CreatedBy = issuedBy,
        };
        await store.AddAsync(record, cancellationToken).ConfigureAwait(false);
        return ($"{Prefix}{id}_{secret}", record);
    }

    /// <summary>Checks a presented token; returns the principal, or null with the reason.</summary>
    public async ValueTask<(Principal? Principal, string? Failure)> ValidateAsync(string presented, CancellationToken cancellationToken)
    {
        if (!TryParse(presented, out var id, out var secret))
        {
            return (null, "the token is malformed");
        }

        var record = await store.FindAsync(id, cancellationToken).ConfigureAwait(false);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(secret), hash);
        if (record is null || !CryptographicOperations.FixedTimeEquals(hash, record.SecretHash))
        {
            return (null, "the token is not known");
        }

        if (record.RevokedAt is not null)
        {
            return (null, "the token has been revoked");
        }

        if (time.GetUtcNow() >= record.ExpiresAt)
        {
            return (null, "the token has expired");
        }

        return (new Principal
        {
            Subject = record.Member,
            Kind = record.Kind,
            Agent = record.Agent,
            Tenant = record.Tenant,
            Roles = record.Roles,
            Servers = record.Servers,
            Method = AuthenticationMethod.MemberToken,
            Issuer = Issuer,
            TokenId = record.Id,
        }, null);
    }

    /// <summary>True when <paramref name="text"/> has the shape of a member token (so it is never mistaken for a JWT).</summary>
    public static bool LooksLikeMemberToken(string text) => text.StartsWith(Prefix, StringComparison.Ordinal);

    private static bool TryParse(string presented, out string id, out string secret)
    {
        id = secret = "";
        if (!LooksLikeMemberToken(presented))
        {
            return false;
        }

        var rest = presented.AsSpan(Prefix.Length);
        var separator = rest.IndexOf('_');
        if (separator != 12 || rest.Length - separator - 1 != 43)
        {
            return false;
        }

        id = rest[..separator].ToString();
        secret = rest[(separator + 1)..].ToString();
        return true;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
