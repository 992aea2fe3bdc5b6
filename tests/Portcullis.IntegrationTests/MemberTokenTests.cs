using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.McpHttp;

namespace Portcullis.IntegrationTests;

/// <summary>Member access tokens end to end: challenges, expiry, instant revocation, session binding, server limits, no passthrough.</summary>
public sealed class MemberTokenTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;

    public async ValueTask InitializeAsync() =>
        _gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}\n{Yaml.MemoryStdio()}", TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    private HttpRequestMessage Initialize(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(AggregateEndpointTests.InitializeBody, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        request.Headers.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<HttpResponseMessage> SendAnonymousAsync(HttpRequestMessage request)
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_gateway.Url) };
        return await anonymous.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_request_without_a_token_gets_401_pointing_at_the_protected_resource_metadata()
    {
        using var response = await SendAnonymousAsync(Initialize("/servers/tickets/mcp", null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.StartsWith("Bearer ", challenge);
        Assert.Contains($"resource_metadata=\"{_gateway.Url}/.well-known/oauth-protected-resource/servers/tickets/mcp\"", challenge);

        using var metadata = await _gateway.Http.GetAsync("/.well-known/oauth-protected-resource/servers/tickets/mcp", TestContext.Current.CancellationToken);
        var document = JsonDocument.Parse(await metadata.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal($"{_gateway.Url}/servers/tickets/mcp", document.GetProperty("resource").GetString());
        Assert.Equal(["header"], document.GetProperty("bearer_methods_supported").EnumerateArray().Select(e => e.GetString()));
        using var root = await _gateway.Http.GetAsync("/.well-known/oauth-protected-resource", TestContext.Current.CancellationToken);
        Assert.Contains($"\"resource\":\"{_gateway.Url}/mcp\"", await root.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("pcm_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not known")]
    [InlineData("pcm_garbage", "malformed")]
    [InlineData("not-a-jwt-either", "neither a member token nor a JWT")]
    public async Task An_invalid_token_gets_401_invalid_token(string token, string reason)
    {
        using var response = await SendAnonymousAsync(Initialize("/mcp", token));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = _gateway.Services.GetRequiredService<IMemberTokenStore>();
        var (expired, _) = await new MemberTokens(store, new ShiftedTime(TimeSpan.FromDays(-2))).IssueAsync(new MemberTokenRequest { Member = "carol", Lifetime = TimeSpan.FromHours(1) }, "test", ct);

        using var response = await SendAnonymousAsync(Initialize("/mcp", expired));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("expired", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_token_in_the_query_string_is_refused_and_never_logged()
    {
        var ct = TestContext.Current.CancellationToken;
        var (token, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "dave" }, ct);

        using var response = await SendAnonymousAsync(Initialize("/mcp?access_token=" + token, null));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_request\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains("only in the Authorization header", await response.Content.ReadAsStringAsync(ct));
        Assert.DoesNotContain(_gateway.Log.Lines, l => l.Contains(token[10..], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_revoked_token_fails_on_the_very_next_request_of_an_open_session_and_others_are_unaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        var (alice, aliceRecord) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "alice", Roles = ["support"] }, ct);
        var (bob, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "bob", Roles = ["support"] }, ct);
        await using var aliceClient = await _gateway.ConnectAsync(token: alice, cancellationToken: ct);
        await using var bobClient = await _gateway.ConnectAsync(token: bob, cancellationToken: ct);
        Assert.NotEqual(true, (await aliceClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);

        var revoking = Stopwatch.StartNew();
        using (var revoke = await _gateway.Http.DeleteAsync($"/admin/api/tokens/{aliceRecord.Id}", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => aliceClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
        var elapsed = revoking.Elapsed;
        Assert.Contains("401", refused.Message);
        TestContext.Current.TestOutputHelper?.WriteLine($"revocation to refusal on the open session: {elapsed.TotalMilliseconds:0.0} ms (next request)");

        Assert.NotEqual(true, (await bobClient.CallToolAsync("tickets__list_tickets", cancellationToken: ct)).IsError);
        using var list = await _gateway.Http.GetAsync("/admin/api/tokens", ct);
        var tokens = JsonDocument.Parse(await list.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal("revoked", tokens.EnumerateArray().Single(t => t.GetProperty("id").GetString() == aliceRecord.Id).GetProperty("status").GetString());
        Assert.DoesNotContain(alice[10..], tokens.ToString());
    }

    [Fact]
    public async Task A_session_id_presented_by_another_principal_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var (alice, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "alice" }, ct);
        var (mallory, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "mallory" }, ct);
        using var opened = await SendAnonymousAsync(Initialize("/mcp", alice));
        var session = opened.Headers.GetValues("Mcp-Session-Id").Single();

        var hijack = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", Encoding.UTF8, "application/json") };
        hijack.Headers.Accept.ParseAdd("application/json, text/event-stream");
        hijack.Headers.Authorization = new AuthenticationHeaderValue("Bearer", mallory);
        hijack.Headers.Add("Mcp-Session-Id", session);
        using var response = await SendAnonymousAsync(hijack);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("another principal", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task A_session_past_its_absolute_lifetime_is_closed_and_then_unknown()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"auth:\n  sessionAbsoluteLifetime: 1s\nservers:\n{Yaml.TicketsStdio()}", ct);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        gateway.Services.GetRequiredService<McpHttpSessions>().Closed += id => closed.TrySetResult(id);
        using var opened = await gateway.Http.SendAsync(Initialize("/mcp", gateway.Token), ct);
        var session = opened.Headers.GetValues("Mcp-Session-Id").Single();

        Assert.Equal(session, await closed.Task.WaitAsync(TimeSpan.FromSeconds(15), ct));

        var next = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""", Encoding.UTF8, "application/json") };
        next.Headers.Accept.ParseAdd("application/json, text/event-stream");
        next.Headers.Add("Mcp-Session-Id", session);
        using var response = await gateway.Http.SendAsync(next, ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_token_limited_to_some_servers_sees_and_reaches_only_those()
    {
        var ct = TestContext.Current.CancellationToken;
        var (limited, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "erin", Servers = ["memory"] }, ct);
        await using var client = await _gateway.ConnectAsync(token: limited, cancellationToken: ct);

        var names = (await client.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).ToList();
        Assert.Contains("memory__read_graph", names);
        Assert.DoesNotContain(names, n => n.StartsWith("tickets__", StringComparison.Ordinal));

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
        Assert.Contains("may not use server 'tickets'", refused.Message);
    }

    [Fact]
    public async Task The_admin_api_needs_the_admin_role()
    {
        var ct = TestContext.Current.CancellationToken;
        var (support, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "frank", Roles = ["support"] }, ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/api/tokens");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", support);

        using var response = await SendAnonymousAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("needs the 'admin' role; 'frank' does not have it", message);
        using var anonymous = await SendAnonymousAsync(new HttpRequestMessage(HttpMethod.Get, "/admin/api/tokens"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task The_agents_token_never_reaches_an_upstream_server()
    {
        var ct = TestContext.Current.CancellationToken;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await StartHeaderCapturingServerAsync(seen, ct);
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.Http("echo", upstream.Url, extra: "    headers: { X-Team: support }")}", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);

        var result = await client.CallToolAsync("echo__whoami", cancellationToken: ct);

        Assert.Equal("ok", AggregateEndpointTests.Text(result));
        Assert.NotEmpty(seen);
        Assert.All(seen, headers => Assert.DoesNotContain(gateway.Token, headers));
        Assert.All(seen, headers => Assert.DoesNotContain("authorization:", headers, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(seen, headers => headers.Contains("X-Team: support", StringComparison.Ordinal));
    }

    /// <summary>A real MCP server over Streamable HTTP that records every header it receives.</summary>
    internal static async Task<HeaderCapturingServer> StartHeaderCapturingServerAsync(System.Collections.Concurrent.ConcurrentQueue<string> seen, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMcpHttp();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            seen.Enqueue(string.Join('\n', context.Request.Headers.Select(h => $"{h.Key}: {h.Value}")));
            await next();
        });
        app.MapMcpHttp("", (_, _, transport) => McpServer.Create(transport, new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "echo", Version = "1" },
            ToolCollection = [McpServerTool.Create(() => "ok", new McpServerToolCreateOptions { Name = "whoami" })],
        }, null, app.Services));
        await app.StartAsync(ct);
        return new HeaderCapturingServer(app);
    }

    internal sealed class HeaderCapturingServer(WebApplication app) : IAsyncDisposable
    {
        public string Url => Portcullis.Gateway.PortcullisGateway.ListeningAddress(app) + "/mcp";

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
