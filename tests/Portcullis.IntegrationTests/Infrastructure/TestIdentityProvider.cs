using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Portcullis.Gateway;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>
/// A real identity provider for tests: OpenID discovery and a JWKS served over HTTP on loopback, and tokens minted
/// with real RSA and EC keys. Keys can be published or withheld to exercise rotation and unknown key ids.
/// </summary>
internal sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<SecurityKey> _published = [];
    private readonly Lock _lock = new();

    private TestIdentityProvider(WebApplication app) => _app = app;

    public string Issuer { get; private set; } = "";

    public int JwksRequests;

    public RsaSecurityKey Rsa { get; } = new(RSA.Create(2048)) { KeyId = "rsa-1" };

    public ECDsaSecurityKey Ec { get; } = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-1" };

    public static async Task<TestIdentityProvider> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var idp = new TestIdentityProvider(app);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, string> { ["issuer"] = idp.Issuer, ["jwks_uri"] = idp.Issuer + "/jwks" }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref idp.JwksRequests);
            lock (idp._lock)
            {
                return Results.Text(JsonSerializer.Serialize(new { keys = idp._published.Select(PublicJwk).ToArray() }), "application/json");
            }
        });
        await app.StartAsync(cancellationToken);
        idp.Issuer = app.ListeningAddress();
        idp.Publish(idp.Rsa);
        idp.Publish(idp.Ec);
        return idp;
    }

    public void Publish(SecurityKey key)
    {
        lock (_lock)
        {
            _published.Add(key);
        }
    }

    /// <summary>Mints a signed JWT; every part can be overridden to make it invalid in one specific way.</summary>
    public string Mint(string audience, SecurityKey? key = null, string? issuer = null, string subject = "alice@example.com", DateTime? expires = null, DateTime? notBefore = null, IDictionary<string, object>? claims = null)
    {
        key ??= Rsa;
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = notBefore is { } nbf && nbf > now ? nbf : now.AddMinutes(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = expires ?? now.AddMinutes(10),
            Claims = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(key, key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha256 : SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with otherwise valid claims.</summary>
    public string MintUnsigned(string audience)
    {
        static string Encode(object value) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value)));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Encode(new { alg = "none", typ = "JWT" }) + "." + Encode(new { iss = Issuer, aud = audience, sub = "mallory", iat = now, nbf = now, exp = now + 600 }) + ".";
    }

    private static Dictionary<string, string> PublicJwk(SecurityKey key) => key switch
    {
        RsaSecurityKey rsa when rsa.Rsa.ExportParameters(false) is var p => new()
        {
            ["kty"] = "RSA", ["kid"] = rsa.KeyId, ["use"] = "sig", ["alg"] = "RS256",
            ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        },
        ECDsaSecurityKey ec when ec.ECDsa.ExportParameters(false) is var p => new()
        {
            ["kty"] = "EC", ["kid"] = ec.KeyId, ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
        },
        _ => throw new NotSupportedException(key.GetType().Name),
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
