using System.Diagnostics;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Portcullis.Configuration;

namespace Portcullis.Gateway.Identity;

/// <summary>
/// The signing keys of one issuer: discovered from its OpenID configuration (or a configured JWKS URI), cached, and
/// re-fetched when a token names a key id the cache lacks (key rotation) — at most once per
/// <see cref="MinRefreshInterval"/>, so forged key ids cannot make the gateway hammer the IdP.
/// </summary>
internal sealed class JwksCache(IssuerConfig issuer, HttpClient http)
{
    /// <summary>Shortest time between two fetches triggered by unknown key ids.</summary>
    public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>Keys are re-fetched at least this often even when nothing asks.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _fetchGate = new(1, 1);
    private IReadOnlyList<SecurityKey> _keys = [];
    private long _fetchedAt;
    private long _unknownKeyRefreshAt;

    /// <summary>The current keys; fetches them on first use or when stale.</summary>
    public async ValueTask<IReadOnlyList<SecurityKey>> GetKeysAsync(CancellationToken cancellationToken)
    {
        if (_fetchedAt == 0 || Stopwatch.GetElapsedTime(_fetchedAt) > MaxAge)
        {
            await RefreshAsync(force: true, cancellationToken).ConfigureAwait(false);
        }

        return _keys;
    }

    /// <summary>Re-fetches after a token named an unknown key; returns false when a fetch happened too recently to try again.</summary>
    public async ValueTask<bool> RefreshForUnknownKeyAsync(CancellationToken cancellationToken) =>
        await RefreshAsync(force: false, cancellationToken).ConfigureAwait(false);

    private async ValueTask<bool> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!force)
            {
                // Only refreshes caused by unknown key ids are throttled: a real rotation is seen at once,
                // a flood of forged key ids costs the IdP one fetch per interval.
                if (_unknownKeyRefreshAt != 0 && Stopwatch.GetElapsedTime(_unknownKeyRefreshAt) < MinRefreshInterval)
                {
                    return false;
                }

                _unknownKeyRefreshAt = Stopwatch.GetTimestamp();
            }

            var jwksUri = issuer.JwksUri ?? await DiscoverJwksUriAsync(cancellationToken).ConfigureAwait(false);
            var json = await http.GetStringAsync(jwksUri, cancellationToken).ConfigureAwait(false);
            _keys = [.. new JsonWebKeySet(json).GetSigningKeys()];
            _fetchedAt = Stopwatch.GetTimestamp();
            return true;
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    private async Task<Uri> DiscoverJwksUriAsync(CancellationToken cancellationToken)
    {
        var discovery = new Uri(issuer.Issuer.ToString().TrimEnd('/') + "/.well-known/openid-configuration");
        var configuration = OpenIdConnectConfiguration.Create(await http.GetStringAsync(discovery, cancellationToken).ConfigureAwait(false));
        if (!string.Equals(configuration.Issuer?.TrimEnd('/'), issuer.Issuer.ToString().TrimEnd('/'), StringComparison.Ordinal))
        {
            throw new SecurityTokenInvalidIssuerException($"The discovery document at {discovery} names issuer '{configuration.Issuer}', not '{issuer.Issuer}'.");
        }

        return new Uri(configuration.JwksUri ?? throw new SecurityTokenException($"The discovery document at {discovery} has no jwks_uri."));
    }
}
