using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>The gateway as an OAuth 2.1 resource server, against a real JWKS served over HTTP and tokens signed with real keys.</summary>
public sealed class OidcTests : IAsyncLifetime
{
    private TestIdentityProvider _idp = null!;
    private TestGateway _gateway = null!;

    private string Audience => _gateway.Url + "/mcp";

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _idp = await TestIdentityProvider.StartAsync(ct);
        _gateway = await TestGateway.StartAsync($"""
            auth:
              scopes: [mcp:tools]
              issuers:
                - issuer: {_idp.Issuer}
                  rolesClaim: groups
                  tenantClaim: tid
            servers:
            {Yaml.TicketsStdio()}
            """, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _idp.DisposeAsync();
    }

    private Dictionary<string, object> Claims(string scope = "mcp:tools") => new()
    {
        ["scope"] = scope,
        ["azp"] = "claude-desktop",
        ["tid"] = "acme",
        ["groups"] = new[] { "support", "admin" },
        ["jti"] = Guid.NewGuid().ToString("N"),
    };

    private async Task<(HttpStatusCode Status, string Challenge, string Body)> CallAsync(string token, string path = "/mcp")
    {
        using var http = new HttpClient { BaseAddress = new Uri(_gateway.Url) };
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(AggregateEndpointTests.InitializeBody, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, response.Headers.WwwAuthenticate.ToString(), await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_valid_rsa_token_opens_a_session_and_its_claims_become_the_principal()
    {
        var ct = TestContext.Current.CancellationToken;
        var token = _idp.Mint(Audience, claims: Claims());
        await using var client = await _gateway.ConnectAsync(token: token, cancellationToken: ct);
        Assert.Contains((await client.ListToolsAsync(cancellationToken: ct)), t => t.Name == "tickets__get_ticket");

        using var http = new HttpClient { BaseAddress = new Uri(_gateway.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var principal = JsonDocument.Parse(await http.GetStringAsync("/admin/api/whoami", ct)).RootElement;
        Assert.Equal("alice@example.com", principal.GetProperty("subject").GetString());
        Assert.Equal("claude-desktop", principal.GetProperty("agent").GetString());
        Assert.Equal("acme", principal.GetProperty("tenant").GetString());
        Assert.Equal(["support", "admin"], principal.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(_idp.Issuer, principal.GetProperty("issuer").GetString());
    }

    [Fact]
    public async Task A_valid_ec_token_is_accepted()
    {
        var (status, _, _) = await CallAsync(_idp.Mint(Audience, key: _idp.Ec, claims: Claims()));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_token_for_one_endpoints_own_url_is_accepted_there()
    {
        var (status, _, _) = await CallAsync(_idp.Mint(_gateway.Url + "/servers/tickets/mcp", claims: Claims()), "/servers/tickets/mcp");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    public static TheoryData<string, string> InvalidTokens => new()
    {
        { "expired", "the token has expired" },
        { "not-yet-valid", "the token is not valid yet" },
        { "wrong-issuer", "is not trusted" },
        { "wrong-audience", "audience mismatch" },
        { "unknown-kid", "a key the issuer does not publish" },
        { "alg-none", "invalid" },
    };

    [Theory]
    [MemberData(nameof(InvalidTokens))]
    public async Task An_invalid_jwt_gets_401_with_an_invalid_token_challenge(string kind, string reason)
    {
        var now = DateTime.UtcNow;
        var token = kind switch
        {
            "expired" => _idp.Mint(Audience, expires: now.AddMinutes(-5), notBefore: now.AddMinutes(-20), claims: Claims()),
            "not-yet-valid" => _idp.Mint(Audience, notBefore: now.AddMinutes(10), expires: now.AddMinutes(20), claims: Claims()),
            "wrong-issuer" => _idp.Mint(Audience, issuer: "https://evil.example.com", claims: Claims()),
            "wrong-audience" => _idp.Mint("https://some-other-api.example.com", claims: Claims()),
            "unknown-kid" => _idp.Mint(Audience, key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "never-published" }, claims: Claims()),
            _ => _idp.MintUnsigned(Audience),
        };

        var (status, challenge, body) = await CallAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("error=\"invalid_token\"", challenge);
        Assert.Contains($"resource_metadata=\"{_gateway.Url}/.well-known/oauth-protected-resource/mcp\"", challenge);
        Assert.Contains("scope=\"mcp:tools\"", challenge);
        Assert.Contains(reason, body);
    }

    [Fact]
    public async Task A_rotated_key_is_picked_up_from_the_jwks_without_a_restart()
    {
        Assert.Equal(HttpStatusCode.OK, (await CallAsync(_idp.Mint(Audience, claims: Claims()))).Status);
        var fetchesBefore = Volatile.Read(ref _idp.JwksRequests);

        var rotated = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rsa-2" };
        _idp.Publish(rotated);
        var (status, _, body) = await CallAsync(_idp.Mint(Audience, key: rotated, claims: Claims()));

        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal(fetchesBefore + 1, Volatile.Read(ref _idp.JwksRequests));
    }

    [Fact]
    public async Task A_token_without_the_required_scope_gets_403_insufficient_scope_listing_it()
    {
        var (status, challenge, body) = await CallAsync(_idp.Mint(Audience, claims: Claims(scope: "profile email")));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("error=\"insufficient_scope\"", challenge);
        Assert.Contains("scope=\"mcp:tools\"", challenge);
        Assert.Contains("mcp:tools", body);
    }

    [Fact]
    public async Task The_metadata_names_the_issuer_and_the_scopes()
    {
        var document = JsonDocument.Parse(await _gateway.Http.GetStringAsync("/.well-known/oauth-protected-resource/mcp", TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(Audience, document.GetProperty("resource").GetString());
        Assert.Equal([_idp.Issuer], document.GetProperty("authorization_servers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["mcp:tools"], document.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
    }
}
