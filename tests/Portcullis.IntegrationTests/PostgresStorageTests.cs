using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using Npgsql;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;
using Portcullis.Secrets;
using Portcullis.Storage.Postgres;

namespace Portcullis.IntegrationTests;

/// <summary>
/// The PostgreSQL store, on a real server: two gateway replicas sharing one database keep one audit chain, and what
/// an administrator does through one replica (a revocation, a kill switch, a suspension) holds on the other.
/// </summary>
public sealed class PostgresStorageTests
{
    private static string Body(string url, string extraServers = "", string extraPolicy = "") => $"""
        servers:
        {Yaml.Http("kb", url)}
        {extraServers}
        policy:
          rules:
            - id: readers
              roles: [reader]
              tools: [kb__lookup, kb__status{(extraServers.Length > 0 ? ", fixture__slow_operation" : "")}]
          risk:
            - tools: [kb__status]
              class: destructive
          riskDefaults:
            destructive: approve
        {extraPolicy}
        approvals:
          wait: 30s
        """;

    /// <summary>Two gateways on one fresh database and one folder (same signing and secrets keys, as replicas share).</summary>
    private sealed record Replicas(TestGateway A, TestGateway B, TempDirectory Folder) : IAsyncDisposable
    {
        public static async Task<Replicas> StartAsync(string upstreamUrl, CancellationToken ct, string extraServers = "", string extraPolicy = "")
        {
            var postgres = await PostgresServer.GetAsync();
            var storage = postgres.Storage(await postgres.CreateDatabaseAsync(ct));
            var folder = new TempDirectory("portcullis-replicas-");
            var a = await TestGateway.StartAsync(Body(upstreamUrl, extraServers, extraPolicy), ct, directory: folder.Path, storage: storage);
            var b = await TestGateway.StartAsync(Body(upstreamUrl, extraServers, extraPolicy), ct, directory: folder.Path, storage: storage);
            a.KeepDirectory = b.KeepDirectory = true;
            return new Replicas(a, b, folder);
        }

        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
            Folder.Dispose();
        }
    }

    private static async Task<JsonElement> GetJsonAsync(TestGateway gateway, string path) =>
        JsonDocument.Parse(await gateway.Http.GetStringAsync(path, TestContext.Current.CancellationToken)).RootElement;

    [Fact]
    public async Task Two_replicas_on_one_database_write_one_audit_chain_without_gaps()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var replicas = await Replicas.StartAsync(upstream.Url, ct);
        var (a, b) = (replicas.A, replicas.B);
        var (token, _) = await a.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"] }, ct);
        await using var viaA = await a.ConnectAsync(token: token, cancellationToken: ct);
        await using var viaB = await b.ConnectAsync(token: token, cancellationToken: ct);

        // Both replicas append at once, so their batches race for the chain's head.
        var calls = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? viaA : viaB)
            .CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = $"t{i}" }, cancellationToken: ct).AsTask());
        Assert.All(await Task.WhenAll(calls), result => Assert.NotEqual(true, result.IsError));

        var sam = (await GetJsonAsync(b, "/admin/api/audit?member=sam&kind=tools/call&limit=1000")).GetProperty("records").EnumerateArray().ToArray();
        Assert.Equal(40, sam.Count(r => r.GetProperty("outcome").GetString() == "success"));
        var all = (await GetJsonAsync(a, "/admin/api/audit?limit=10000")).GetProperty("records").EnumerateArray().Select(r => r.GetProperty("seq").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, all.Length).Select(i => (long)i), all);
        Assert.True((await GetJsonAsync(a, "/admin/api/audit/verify")).GetProperty("ok").GetBoolean());
        Assert.True((await GetJsonAsync(b, "/admin/api/audit/verify")).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Two_replicas_draw_on_one_daily_budget_and_together_never_spend_past_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var replicas = await Replicas.StartAsync(upstream.Url, ct, extraPolicy: "  budget:\n    daily: 30");
        var (a, b) = (replicas.A, replicas.B);
        var (token, _) = await a.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"] }, ct);
        await using var viaA = await a.ConnectAsync(token: token, cancellationToken: ct);
        await using var viaB = await b.ConnectAsync(token: token, cancellationToken: ct);

        // 40 calls of cost 1 through both replicas at once: 30 run, 10 are refused, whichever replica they reach.
        var calls = Enumerable.Range(0, 40).Select(async i =>
        {
            try
            {
                return (await (i % 2 == 0 ? viaA : viaB).CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = $"t{i}" }, cancellationToken: ct)).IsError != true ? "ran" : "tool error";
            }
            catch (McpProtocolException ex)
            {
                return ex.Message;
            }
        });
        var outcomes = await Task.WhenAll(calls);
        Assert.Equal(30, outcomes.Count(o => o == "ran"));
        Assert.All(outcomes.Where(o => o != "ran"), o => Assert.Contains("Daily budget of 30 units used up for sam (30 spent; this call costs 1).", o));

        foreach (var replica in new[] { a, b })
        {
            var sam = Assert.Single((await GetJsonAsync(replica, "/admin/api/budgets")).GetProperty("principals").EnumerateArray());
            Assert.Equal(("sam", 30, 0), (sam.GetProperty("subject").GetString(), sam.GetProperty("spent").GetInt64(), sam.GetProperty("remaining").GetInt64()));
        }
    }

    [Fact]
    public async Task A_revocation_a_kill_switch_and_a_suspension_made_through_one_replica_hold_on_the_other()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var replicas = await Replicas.StartAsync(upstream.Url, ct);
        var (a, b) = (replicas.A, replicas.B);
        var (token, _) = await a.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"] }, ct);
        await using var viaB = await b.ConnectAsync(token: token, cancellationToken: ct);
        Assert.NotEqual(true, (await viaB.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "x" }, cancellationToken: ct)).IsError);

        // A kill switch engaged through A stops the tool on B, and releasing it through A frees it there.
        using (var engage = await a.Http.PostAsJsonAsync("/admin/api/kill", new { target = "tool", id = "kb__lookup", reason = "incident 7" }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, engage.StatusCode);
        }

        await Until(async () => (await GetJsonAsync(b, "/admin/api/kill")).GetArrayLength() == 1, ct);
        var killed = await Assert.ThrowsAsync<McpProtocolException>(() => viaB.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "x" }, cancellationToken: ct).AsTask());
        Assert.Contains("switched off", killed.Message);
        Assert.Contains("incident 7", killed.Message);
        using (var release = await a.Http.DeleteAsync("/admin/api/kill/tool/kb__lookup", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, release.StatusCode);
        }

        await Until(async () => (await GetJsonAsync(b, "/admin/api/kill")).GetArrayLength() == 0, ct);
        Assert.NotEqual(true, (await viaB.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "x" }, cancellationToken: ct)).IsError);

        // A server suspended through A is suspended on B.
        using (var suspend = await a.Http.PostAsync("/admin/api/servers/kb/suspend", null, ct))
        {
            Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
        }

        await Until(async () => (await GetJsonAsync(b, "/admin/api/servers/kb")).GetProperty("server").GetProperty("state").GetString() == "suspended", ct);
        var suspended = await Assert.ThrowsAsync<McpProtocolException>(() => viaB.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "x" }, cancellationToken: ct).AsTask());
        Assert.Contains("Server 'kb' is suspended", suspended.Message);

        // A token revoked through A is refused by B at the next request, with nothing to wait for.
        var (ops, opsRecord) = await a.IssueTokenAsync(new MemberTokenRequest { Member = "ops", Roles = ["admin"] }, ct);
        Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(b, ops, ct));
        using (var revoke = await a.Http.DeleteAsync($"/admin/api/tokens/{opsRecord.Id}", ct))
        {
            Assert.True(revoke.IsSuccessStatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(b, ops, ct));
    }

    [Fact]
    public async Task A_kill_switch_engaged_through_one_replica_cuts_a_call_under_way_on_the_other()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        var fixture = $"""
              - id: fixture
                preapproved: true
                command: dotnet
                args: ["{Repo.ConformanceFixtureDll}"]
            """;
        await using var replicas = await Replicas.StartAsync(upstream.Url, ct, fixture);
        var (a, b) = (replicas.A, replicas.B);
        var (token, _) = await a.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"] }, ct);
        await using var viaB = await b.ConnectAsync(token: token, cancellationToken: ct);
        var tag = Guid.NewGuid().ToString("N");
        var call = viaB.CallToolAsync("fixture__slow_operation", new Dictionary<string, object?> { ["tag"] = tag }, cancellationToken: ct).AsTask();
        await b.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} started", ct);

        using (var engage = await a.Http.PostAsJsonAsync("/admin/api/kill", new { target = "tool", id = "fixture__slow_operation", reason = "runaway" }, ct))
        {
            Assert.Equal(HttpStatusCode.Created, engage.StatusCode);
        }

        var cut = await Assert.ThrowsAsync<McpProtocolException>(() => call.WaitAsync(TimeSpan.FromSeconds(15), ct));
        Assert.Contains("The call was cut while under way", cut.Message);
        Assert.Contains("runaway", cut.Message);
        await b.Log.WaitForAsync($"[fixture stderr] slow_operation {tag} cancelled", ct);
    }

    [Fact]
    public async Task A_call_held_on_one_replica_runs_once_approved_through_the_other_and_the_approval_is_used_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var replicas = await Replicas.StartAsync(upstream.Url, ct);
        var (a, b) = (replicas.A, replicas.B);
        var (token, _) = await a.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"] }, ct);
        var (bob, _) = await b.IssueTokenAsync(new MemberTokenRequest { Member = "bob", Roles = ["approver"] }, ct);
        await using var viaA = await a.ConnectAsync(token: token, cancellationToken: ct);

        var held = viaA.CallToolAsync("kb__status", cancellationToken: ct).AsTask();
        string? id = null;
        await Until(async () => (id = (await GetJsonAsync(b, "/admin/api/approvals/?status=pending")).EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } r ? r.GetProperty("id").GetString() : null) is not null, ct);
        using var approver = new HttpClient { BaseAddress = new Uri(b.Url) };
        approver.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bob);
        using (var approve = await approver.PostAsJsonAsync($"/admin/api/approvals/{id}/approve", new { reason = "checked" }, ct))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }

        // The replica holding the call hears of the decision at once, not at its next look at the store (every 5 s).
        var result = await held.WaitAsync(TimeSpan.FromSeconds(4), ct);
        Assert.NotEqual(true, result.IsError);
        Assert.Equal("Used", (await GetJsonAsync(a, $"/admin/api/approvals/{id}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Two_replicas_consuming_one_approval_at_once_get_it_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var postgres = await PostgresServer.GetAsync();
        var name = await postgres.CreateDatabaseAsync(ct);
        using var first = new PostgresDatabase(new PostgresConfig { ConnectionString = postgres.ConnectionString(name) });
        using var second = new PostgresDatabase(new PostgresConfig { ConnectionString = postgres.ConnectionString(name) });
        var now = DateTimeOffset.UtcNow;
        var approved = new Portcullis.Approvals.ApprovalRequest
        {
            Id = "apr_race", Requester = "sam", RequesterKey = "member:sam", ServerId = "kb", Tool = "kb__status", ArgumentsHash = "h",
            Risk = "destructive", Reason = "r", RequiredApprovals = 1, Status = Portcullis.Approvals.ApprovalStatus.Approved,
            CreatedAt = now, ExpiresAt = now.AddHours(1),
        };
        await new PostgresApprovalStore(first).SaveAsync(approved, ct);

        var attempts = Enumerable.Range(0, 20).Select(i => new PostgresApprovalStore(i % 2 == 0 ? first : second))
            .Select(store => Task.Run(async () => await store.ReplaceAsync(approved, approved with { Status = Portcullis.Approvals.ApprovalStatus.Used }, ct), ct));
        Assert.Equal(1, (await Task.WhenAll(attempts)).Count(won => won));
    }

    [Fact]
    public async Task When_the_database_refuses_connections_calls_fail_closed_and_resume_with_the_chain_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        var postgres = await PostgresServer.GetAsync();
        var database = await postgres.CreateDatabaseAsync(ct);
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url), ct, storage: postgres.Storage(database));
        var (token, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"] }, ct);
        await using var client = await gateway.ConnectAsync(token: token, cancellationToken: ct);
        Assert.NotEqual(true, (await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "before" }, cancellationToken: ct)).IsError);

        await SetConnectionsAllowedAsync(postgres, database, false, ct);
        // Without the store no token can be checked: refused with 503 and a reason, not let through and not hung.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "during" }, cancellationToken: ct).AsTask());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("The gateway cannot verify tokens right now; retry shortly.", refused.Message);
        using (var health = await gateway.Http.GetAsync("/healthz", ct))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        await SetConnectionsAllowedAsync(postgres, database, true, ct);
        Assert.NotEqual(true, (await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "after" }, cancellationToken: ct)).IsError);
        var titles = (await GetJsonAsync(gateway, "/admin/api/audit?member=sam&kind=tools/call")).GetProperty("records").EnumerateArray()
            .Where(r => r.GetProperty("outcome").GetString() == "success").Select(r => r.GetProperty("arguments").GetString()).ToArray();
        Assert.Equal(2, titles.Length);
        Assert.Contains("before", titles[0]);
        Assert.Contains("after", titles[1]);
        Assert.True((await GetJsonAsync(gateway, "/admin/api/audit/verify")).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Secrets_are_stored_encrypted_and_rotate_by_version()
    {
        var ct = TestContext.Current.CancellationToken;
        var postgres = await PostgresServer.GetAsync();
        var name = await postgres.CreateDatabaseAsync(ct);
        using var database = new PostgresDatabase(new PostgresConfig { ConnectionString = postgres.ConnectionString(name) });
        var store = new PostgresSecretStore(database, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        Assert.Equal(1, await store.SetAsync("crm-api-key", "first-value", ct));
        Assert.Equal(2, await store.SetAsync("crm-api-key", "second-value", ct));
        Assert.Equal(("second-value", 2L), await store.GetAsync("crm-api-key", ct));
        Assert.Equal(["crm-api-key"], (await store.ListAsync(ct)).Select(s => s.Name));
        await using (var raw = database.Command("SELECT ciphertext FROM secrets"))
        {
            var stored = (byte[])(await raw.ExecuteScalarAsync(ct))!;
            Assert.DoesNotContain("second-value", System.Text.Encoding.UTF8.GetString(stored));
        }

        var withoutKey = new PostgresSecretStore(database, null);
        var error = await Assert.ThrowsAsync<SecretUnavailableException>(() => withoutKey.GetAsync("crm-api-key", ct));
        Assert.Contains("PORTCULLIS_SECRETS_KEY", error.Message);
        Assert.True(await store.DeleteAsync("crm-api-key", ct));
        Assert.Null(await store.GetAsync("crm-api-key", ct));
    }

    private static async Task SetConnectionsAllowedAsync(PostgresServer postgres, string database, bool allowed, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString("postgres"));
        await connection.OpenAsync(ct);
        await using var alter = new NpgsqlCommand($"ALTER DATABASE {database} ALLOW_CONNECTIONS {allowed}", connection);
        await alter.ExecuteNonQueryAsync(ct);
        if (!allowed)
        {
            await using var terminate = new NpgsqlCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'", connection);
            await terminate.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<HttpStatusCode> WhoAmIAsync(TestGateway gateway, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, gateway.Url + "/admin/api/whoami");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var http = new HttpClient();
        using var response = await http.SendAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>Waits for a change another replica announced to arrive (it travels as a notification).</summary>
    private static async Task Until(Func<Task<bool>> condition, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the other replica did not apply the change within 15 s");
            await Task.Delay(50, ct);
        }
    }
}
