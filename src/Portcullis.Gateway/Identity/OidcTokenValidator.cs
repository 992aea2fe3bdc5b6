using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Portcullis.Configuration;
using Portcullis.Identity;

namespace Portcullis.Gateway.Identity;

/// <summary>
/// Validates JWTs from the trusted issuers: signature against the issuer's JWKS, <c>iss</c>, <c>exp</c>/<c>nbf</c>, and
/// an audience that is this gateway (RFC 8707). Unsigned tokens (<c>alg: none</c>) never validate. Claims are mapped
/// to a <see cref="Principal"/> as the issuer's configuration says.
/// </summary>
internal sealed class OidcTokenValidator(GatewayConfigProvider config, IHttpClientFactory httpClientFactory)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly Dictionary<string, JwksCache> _caches = new(StringComparer.Ordinal);
    private readonly Lock _cachesLock = new();

    /// <summary>Validates <paramref name="token"/>, whose audience must be <paramref name="canonicalResource"/> or <paramref name="endpointResource"/>.</summary>
    public async Task<(Principal? Principal, string? Failure)> ValidateAsync(string token, Uri canonicalResource, Uri endpointResource, CancellationToken cancellationToken)
    {
        if (!_handler.CanReadToken(token))
        {
            return (null, "the bearer token is neither a member token nor a JWT");
        }

        var unverified = _handler.ReadJsonWebToken(token);
        var issuer = config.Current.Auth.Issuers.FirstOrDefault(i => string.Equals(i.Issuer.ToString().TrimEnd('/'), unverified.Issuer.TrimEnd('/'), StringComparison.Ordinal));
        if (issuer is null)
        {
            return (null, $"issuer '{unverified.Issuer}' is not trusted by this gateway");
        }

        var cache = CacheFor(issuer);
        var parameters = new TokenValidationParameters
        {
            ValidIssuers = [issuer.Issuer.ToString(), issuer.Issuer.ToString().TrimEnd('/')],
            ValidAudiences = [canonicalResource.ToString(), endpointResource.ToString()],
            IssuerSigningKeys = await cache.GetKeysAsync(cancellationToken).ConfigureAwait(false),
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = ClockSkew,
            TryAllIssuerSigningKeys = false,
        };

        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException && await cache.RefreshForUnknownKeyAsync(cancellationToken).ConfigureAwait(false))
        {
            // The issuer may have rotated its keys since they were cached.
            parameters.IssuerSigningKeys = await cache.GetKeysAsync(cancellationToken).ConfigureAwait(false);
            result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        }

        if (!result.IsValid)
        {
            return (null, Describe(result.Exception));
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        var subject = Claim(jwt, issuer.SubjectClaim);
        if (string.IsNullOrEmpty(subject))
        {
            return (null, $"the token has no '{issuer.SubjectClaim}' claim to identify its subject");
        }

        var agent = Claim(jwt, issuer.AgentClaim) ?? Claim(jwt, "client_id");
        return (new Principal
        {
            Subject = subject,
            // A client-credentials token names the client as its subject: a workflow, not a person.
            Kind = agent is not null && agent == subject ? SubjectKind.Service : SubjectKind.User,
            Agent = agent,
            Tenant = Claim(jwt, issuer.TenantClaim),
            Roles = Claims(jwt, issuer.RolesClaim),
            Scopes = [.. Claims(jwt, "scope"), .. Claims(jwt, "scp")],
            Method = AuthenticationMethod.Oidc,
            Issuer = jwt.Issuer,
            TokenId = jwt.Id.Length > 0 ? jwt.Id : null,
        }, null);
    }

    private JwksCache CacheFor(IssuerConfig issuer)
    {
        lock (_cachesLock)
        {
            var key = issuer.Issuer + "|" + issuer.JwksUri;
            if (!_caches.TryGetValue(key, out var cache))
            {
                _caches[key] = cache = new JwksCache(issuer, httpClientFactory.CreateClient("jwks"));
            }

            return cache;
        }
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "the token has expired",
        SecurityTokenNotYetValidException => "the token is not valid yet",
        SecurityTokenInvalidAudienceException => "the token was not issued for this gateway (audience mismatch)",
        SecurityTokenInvalidIssuerException => "the token's issuer is not trusted",
        SecurityTokenSignatureKeyNotFoundException => "the token is signed with a key the issuer does not publish",
        SecurityTokenInvalidSignatureException => "the token's signature is invalid",
        SecurityTokenNoExpirationException => "the token has no expiry",
        SecurityTokenMalformedException => "the token is malformed",
        null => "the token is invalid",
        _ => "the token is invalid: " + exception.GetType().Name.Replace("SecurityToken", "", StringComparison.Ordinal).Replace("Exception", "", StringComparison.Ordinal),
    };

    private static string? Claim(JsonWebToken jwt, string name) =>
        jwt.Claims.FirstOrDefault(c => string.Equals(c.Type, name, StringComparison.Ordinal))?.Value;

    /// <summary>A claim that may be a JSON array (one claim per element) or a space-separated string.</summary>
    private static string[] Claims(JsonWebToken jwt, string name) =>
        [.. jwt.Claims.Where(c => string.Equals(c.Type, name, StringComparison.Ordinal)).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
}
