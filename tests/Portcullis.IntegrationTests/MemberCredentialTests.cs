using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using ModelContextProtocol.Client;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Servers that act as each member: a personal credential, stored per member, injected only into that member's calls.</summary>
public sealed class MemberCredentialTests
{
    static MemberCredentialTests()
    {
        TestSecretsKey.Ensure();
    }

    [Fact]
    public async Task Each_member_s_calls_carry_only_their_own_credential_and_a_member_without_one_is_told_how_to_store_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await MemberTokenTests.StartHeaderCapturingServerAsync(seen, ct);
        await using var gateway = await TestGateway.StartAsync($$"""
            servers:
            {{Yaml.EverythingStdio(extra: "    env: { PERSONAL_TOKEN: \"${member:tracker-token}\" }")}}
            {{Yaml.Http("echo", upstream.Url, extra: "    headers: { Authorization: \"Bearer ${member:tracker-token}\" }")}}
            """, ct);

        var (aliceToken, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "alice", Roles = ["dev"] }, ct);
        var (bobToken, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "bob", Roles = ["dev"] }, ct);
        var (carolToken, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "carol", Roles = ["dev"] }, ct);
        var aliceValue = "alice-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var bobValue = "bob-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        foreach (var (token, value) in new[] { (aliceToken, aliceValue), (bobToken, bobValue) })
        {
            using var http = Http(gateway, token);
            using var set = await http.PutAsJsonAsync("/me/credentials/tracker-token", new { value }, ct);
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        // The shared connection (used for listing) carries no member's credential.
        Assert.Equal("ok", await WhoAmIAsync(gateway, aliceToken, ct));
        Assert.Contains(seen, h => !h.Contains("Authorization:", StringComparison.Ordinal));

        // Each member's calls carry their own value, to stdio (a process per member) and HTTP alike.
        foreach (var (token, value, other) in new[] { (aliceToken, aliceValue, bobValue), (bobToken, bobValue, aliceValue) })
        {
            seen.Clear();
            Assert.Equal("ok", await WhoAmIAsync(gateway, token, ct));
            Assert.Contains(seen, h => h.Contains($"Authorization: Bearer {value}", StringComparison.Ordinal));
            Assert.DoesNotContain(seen, h => h.Contains(other, StringComparison.Ordinal));

            await using var client = await gateway.ConnectAsync(token: token, cancellationToken: ct);
            var env = AggregateEndpointTests.Text(await client.CallToolAsync("everything__get-env", cancellationToken: ct));
            Assert.Contains("\"PERSONAL_TOKEN\": \"[redacted by Portcullis: a credential the gateway holds]\"", env);
            Assert.DoesNotContain(value, env);
        }

        Assert.Equal(2, gateway.Upstream("everything").MemberConnections);

        // A member without one: a clear tool error, no process started for them.
        await using (var carol = await gateway.ConnectAsync(token: carolToken, cancellationToken: ct))
        {
            var refused = await carol.CallToolAsync("everything__get-env", cancellationToken: ct);
            Assert.True(refused.IsError);
            Assert.Contains("you have not stored yours; store it with 'portcullis credentials set tracker-token'", AggregateEndpointTests.Text(refused));
            using var http = Http(gateway, carolToken);
            var listed = await http.GetStringAsync("/me/credentials", ct);
            Assert.Contains("\"name\":\"tracker-token\"", listed);
            Assert.Contains("\"stored\":false", listed);
        }

        Assert.Equal(2, gateway.Upstream("everything").MemberConnections);

        // Replacing a credential takes effect on the member's next call.
        var aliceNew = "alice2-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        using (var http = Http(gateway, aliceToken))
        {
            (await http.PutAsJsonAsync("/me/credentials/tracker-token", new { value = aliceNew }, ct)).Dispose();
        }

        seen.Clear();
        Assert.Equal("ok", await WhoAmIAsync(gateway, aliceToken, ct));
        Assert.Contains(seen, h => h.Contains($"Authorization: Bearer {aliceNew}", StringComparison.Ordinal));

        // Members' credentials are not the operators' secrets, and no value reaches the log or the audit chain.
        var secrets = await gateway.Http.GetStringAsync("/admin/api/secrets", ct);
        Assert.DoesNotContain("tracker-token", secrets);
        var audit = await gateway.Http.GetStringAsync("/admin/api/audit/export", ct);
        Assert.Contains("/me/credentials/tracker-token", audit);
        foreach (var value in new[] { aliceValue, bobValue, aliceNew })
        {
            Assert.DoesNotContain(value, audit);
            Assert.DoesNotContain(gateway.Log.Lines, l => l.Contains(value, StringComparison.Ordinal));
        }
    }

    private static HttpClient Http(TestGateway gateway, string token)
    {
        var http = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<string> WhoAmIAsync(TestGateway gateway, string token, CancellationToken ct)
    {
        await using var client = await gateway.ConnectAsync(token: token, cancellationToken: ct);
        return AggregateEndpointTests.Text(await client.CallToolAsync("echo__whoami", cancellationToken: ct));
    }
}
