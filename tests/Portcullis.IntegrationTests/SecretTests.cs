using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.Upstreams;

namespace Portcullis.IntegrationTests;

/// <summary>Credentials the agent never sees: injected from the encrypted store, rotated without a restart, kept out of logs, audit and results.</summary>
public sealed class SecretTests
{
    static SecretTests()
    {
        TestSecretsKey.Ensure();
    }

    [Fact]
    public async Task Stored_secrets_reach_stdio_env_and_http_headers_but_never_the_agent_the_log_or_the_audit()
    {
        var ct = TestContext.Current.CancellationToken;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await MemberTokenTests.StartHeaderCapturingServerAsync(seen, ct);
        await using var gateway = await TestGateway.StartAsync($$"""
            servers:
            {{Yaml.EverythingStdio(extra: "    env: { GITHUB_TOKEN: \"secret:gh-token\", DEPLOY_URL: \"https://ci.example/${secret:gh-token}/hook\" }")}}
            {{Yaml.Http("echo", upstream.Url, extra: "    headers: { Authorization: \"Bearer ${secret:echo-key}\" }")}}
            """, ct, waitForServers: false);

        // Declared before they exist: the servers wait, saying which secret is missing.
        await gateway.Upstream("everything").WaitForStateAsync(UpstreamState.Down, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        Assert.Contains("secret 'gh-token' is not in the store", gateway.Upstream("everything").DownReason);

        var ghToken = "ghp_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var echoKey = "ek-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using (var set = await gateway.Http.PutAsJsonAsync("/admin/api/secrets/gh-token", new { value = ghToken }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        (await gateway.Http.PutAsJsonAsync("/admin/api/secrets/echo-key", new { value = echoKey }, ct)).Dispose();
        await gateway.Upstream("everything").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);

        // The stdio server got the secret (it echoes its environment back), and the agent sees only the marker.
        var env = AggregateEndpointTests.Text(await client.CallToolAsync("everything__get-env", cancellationToken: ct));
        Assert.DoesNotContain(ghToken, env);
        var parsed = JsonDocument.Parse(env[env.IndexOf('{')..]).RootElement;
        Assert.Equal("[redacted by Portcullis: a credential the gateway holds]", parsed.GetProperty("GITHUB_TOKEN").GetString());
        Assert.Equal("https://ci.example/[redacted by Portcullis: a credential the gateway holds]/hook", parsed.GetProperty("DEPLOY_URL").GetString());

        // The HTTP server got the header with the secret interpolated.
        Assert.Equal("ok", AggregateEndpointTests.Text(await client.CallToolAsync("echo__whoami", cancellationToken: ct)));
        Assert.Contains(seen, headers => headers.Contains($"Authorization: Bearer {echoKey}", StringComparison.Ordinal));

        var listed = await gateway.Http.GetStringAsync("/admin/api/secrets", ct);
        Assert.Contains("\"name\":\"gh-token\"", listed);
        Assert.Contains("\"usedBy\":[\"everything\"]", listed);
        var audit = await gateway.Http.GetStringAsync("/admin/api/audit/export", ct);
        foreach (var secret in new[] { ghToken, echoKey })
        {
            Assert.DoesNotContain(secret, listed);
            Assert.DoesNotContain(secret, audit);
            Assert.DoesNotContain(gateway.Log.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_rotated_secret_reaches_the_server_without_a_gateway_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var upstream = await MemberTokenTests.StartHeaderCapturingServerAsync(seen, ct);
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.Http("echo", upstream.Url, extra: "    headers: { X-Api-Key: \"secret:rotating\" }")}", ct, waitForServers: false);
        (await gateway.Http.PutAsJsonAsync("/admin/api/secrets/rotating", new { value = "first-value-1" }, ct)).Dispose();
        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using (var client = await gateway.ConnectAsync(cancellationToken: ct))
        {
            await client.CallToolAsync("echo__whoami", cancellationToken: ct);
        }

        Assert.Contains(seen, h => h.Contains("X-Api-Key: first-value-1", StringComparison.Ordinal));
        var before = gateway.Upstream("echo");

        (await gateway.Http.PutAsJsonAsync("/admin/api/secrets/rotating", new { value = "second-value-2" }, ct)).Dispose();

        Assert.NotSame(before, gateway.Upstream("echo"));
        await gateway.Upstream("echo").WaitForStateAsync(UpstreamState.Ready, ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
        await using var again = await gateway.ConnectAsync(cancellationToken: ct);
        await again.CallToolAsync("echo__whoami", cancellationToken: ct);
        Assert.Contains(seen, h => h.Contains("X-Api-Key: second-value-2", StringComparison.Ordinal));
        Assert.Contains("\"version\":2", await gateway.Http.GetStringAsync("/admin/api/secrets", ct));
    }

    [Fact]
    public async Task The_gateway_refuses_to_start_when_servers_need_stored_secrets_and_there_is_no_proper_key()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory("portcullis-nokey-");
        var directory = temp.Path;
        var config = Path.Combine(directory, "portcullis.yaml");
        await File.WriteAllTextAsync(config, TestGateway.Compose($"servers:\n{Yaml.Http("echo", "http://127.0.0.1:9/mcp", extra: "    headers: { X-Api-Key: \"secret:k\" }")}"), ct);
        foreach (var key in new string?[] { null, Convert.ToBase64String(new byte[32]) })
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { Repo.CliDll, "serve", "--config", config })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment.Remove("PORTCULLIS_SECRETS_KEY");
            if (key is not null)
            {
                info.Environment["PORTCULLIS_SECRETS_KEY"] = key;
            }

            using var process = Process.Start(info)!;
            var error = await process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.Equal(2, process.ExitCode);
            Assert.Contains("Refusing to start: servers refer to stored secrets (k)", error);
            Assert.Contains(key is null ? "no key" : "looks like a default or placeholder", error);
        }
    }
}
