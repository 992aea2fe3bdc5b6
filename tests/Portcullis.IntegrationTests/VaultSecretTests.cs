using System.Net;
using System.Net.Http.Json;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.Upstreams;

namespace Portcullis.IntegrationTests;

/// <summary>Secrets kept in Vault's KV v2 engine: written and read over Vault's HTTP API, rotated in Vault, AppRole logins renewed.</summary>
public sealed class VaultSecretTests
{
    [Fact]
    public async Task Secrets_live_in_vault_reach_the_server_and_a_rotation_in_vault_reaches_it_without_a_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var vault = await TestVault.StartAsync(ct);
        vault.Lease = TimeSpan.FromSeconds(2);
        Environment.SetEnvironmentVariable("PORTCULLIS_TEST_VAULT_SECRET_ID", TestVault.SecretId);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await MemberTokenTests.StartHeaderCapturingServerAsync(seen, ct);
        await using var gateway = await TestGateway.StartAsync($$"""
            secrets:
              vault:
                address: {{vault.Address}}
                roleId: {{TestVault.RoleId}}
                secretIdEnv: PORTCULLIS_TEST_VAULT_SECRET_ID
            servers:
            {{Yaml.Http("echo", upstream.Url, extra: "    headers: { X-Api-Key: \"secret:echo-key\" }")}}
            """, ct, waitForServers: false);

        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Down, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains("secret 'echo-key' is not in the store", gateway.Upstream("echo").DownReason);

        // Written through the gateway, kept by Vault (one Vault secret per name under the prefix, value in "value").
        using (var set = await gateway.Http.PutAsJsonAsync("/admin/api/secrets/echo-key", new { value = "first-value-1" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        Assert.Equal("first-value-1", vault.Read("portcullis/echo-key"));
        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using (var client = await gateway.ConnectAsync(cancellationToken: ct))
        {
            await client.CallToolAsync("echo__whoami", cancellationToken: ct);
        }

        Assert.Contains(seen, h => h.Contains("X-Api-Key: first-value-1", StringComparison.Ordinal));

        // An operator rotates the secret in Vault itself; the gateway notices and reconnects with it.
        var before = gateway.Upstream("echo");
        Assert.Equal(2, vault.Write("portcullis/echo-key", "second-value-2"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ReferenceEquals(gateway.Upstream("echo"), before) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
        }

        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        seen.Clear();
        await using (var client = await gateway.ConnectAsync(cancellationToken: ct))
        {
            await client.CallToolAsync("echo__whoami", cancellationToken: ct);
        }

        Assert.Contains(seen, h => h.Contains("X-Api-Key: second-value-2", StringComparison.Ordinal));
        var listed = await gateway.Http.GetStringAsync("/admin/api/secrets", ct);
        Assert.Contains("\"name\":\"echo-key\"", listed);
        Assert.Contains("\"version\":2", listed);
        Assert.DoesNotContain("second-value-2", listed);

        // Leases of 2 s: the gateway logged in again rather than failing once its token expired; a revoked token too.
        Assert.True(vault.Logins >= 2, $"only {vault.Logins} AppRole login(s) over a run longer than the lease");
        vault.RevokeAll();
        Assert.Contains("\"name\":\"echo-key\"", await gateway.Http.GetStringAsync("/admin/api/secrets", ct));

        using (var delete = await gateway.Http.DeleteAsync("/admin/api/secrets/echo-key", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        Assert.Null(vault.Read("portcullis/echo-key"));
        Assert.DoesNotContain(gateway.Log.Lines, l => l.Contains("second-value-2", StringComparison.Ordinal) || l.Contains(TestVault.SecretId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_vault_unreachable_servers_that_need_its_secrets_stay_down_and_say_why()
    {
        var ct = TestContext.Current.CancellationToken;
        Environment.SetEnvironmentVariable("PORTCULLIS_TEST_VAULT_TOKEN", "hvs.unused");
        await using var gateway = await TestGateway.StartAsync($$"""
            secrets:
              vault:
                address: http://127.0.0.1:9/
                tokenEnv: PORTCULLIS_TEST_VAULT_TOKEN
            servers:
            {{Yaml.Http("echo", "http://127.0.0.1:9/mcp", extra: "    headers: { X-Api-Key: \"secret:echo-key\" }")}}
            """, ct, waitForServers: false);

        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Down, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains("Vault at http://127.0.0.1:9/ cannot be reached", gateway.Upstream("echo").DownReason);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        var refused = await client.CallToolAsync("echo__whoami", cancellationToken: ct);
        Assert.True(refused.IsError);
    }
}
