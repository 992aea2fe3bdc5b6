using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using ModelContextProtocol;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>The audit chain end to end: what a record holds, that tampering is found, and that the gateway fails closed without it.</summary>
public sealed class AuditTests
{
    private static string Body(string url) => $"""
        servers:
        {Yaml.Http("kb", url)}
        policy:
          rules:
            - id: readers
              roles: [reader]
              tools: [kb__lookup]
        """;

    private static async Task<JsonElement[]> QueryAsync(TestGateway gateway, string query) =>
        JsonDocument.Parse(await gateway.Http.GetStringAsync("/admin/api/audit?" + query, TestContext.Current.CancellationToken)).RootElement.GetProperty("records").EnumerateArray().ToArray();

    private static async Task<JsonElement> VerifyAsync(TestGateway gateway) =>
        JsonDocument.Parse(await gateway.Http.GetStringAsync("/admin/api/audit/verify", TestContext.Current.CancellationToken)).RootElement;

    [Fact]
    public async Task A_sessionless_agents_calls_and_denials_are_recorded_under_its_member_each_under_an_id_of_its_own()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url), ct);
        var (token, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["reader"], Agent = "claude-code" }, ct);
        await using var client = await gateway.ConnectAsync(options: new ModelContextProtocol.Client.McpClientOptions(), token: token, cancellationToken: ct);
        Assert.Equal("2026-07-28", client.NegotiatedProtocolVersion);

        await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "first" }, cancellationToken: ct);
        await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "second" }, cancellationToken: ct);
        var denied = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("kb__status", cancellationToken: ct).AsTask());
        Assert.Contains("no rule grants tool 'kb__status' to sam", denied.Message);

        var calls = await QueryAsync(gateway, "member=sam&kind=tools/call");
        Assert.Equal(["success", "success", "denied"], calls.Select(c => c.GetProperty("outcome").GetString()));
        Assert.All(calls, c => Assert.Equal("claude-code", c.GetProperty("agent").GetString()));
        Assert.Equal(3, calls.Select(c => c.GetProperty("sessionId").GetString()).Where(id => id is { Length: > 0 }).Distinct().Count());
        Assert.True((await VerifyAsync(gateway)).GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Every_field_of_a_call_a_denial_and_a_redaction_is_recorded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url), ct);
        var (token, record) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "rita", Roles = ["reader"], Agent = "cursor", Tenant = "acme" }, ct);
        await using var client = await gateway.ConnectAsync(token: token, cancellationToken: ct);
        Assert.Single(await client.ListToolsAsync(cancellationToken: ct));

        var result = await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "key AKIAIOSFODNN7EXAMPLE" }, cancellationToken: ct);
        Assert.Contains("[redacted by Portcullis", AggregateEndpointTests.Text(result));
        await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("kb__status", cancellationToken: ct).AsTask());

        var calls = await QueryAsync(gateway, "member=rita&kind=tools/call");
        Assert.Equal(2, calls.Length);
        var success = calls[0];
        Assert.Equal("tools/call", success.GetProperty("kind").GetString());
        Assert.Equal("rita", success.GetProperty("subject").GetString());
        Assert.Equal("cursor", success.GetProperty("agent").GetString());
        Assert.Equal("acme", success.GetProperty("tenant").GetString());
        Assert.Equal(["reader"], success.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("MemberToken", success.GetProperty("authMethod").GetString());
        Assert.Equal(record.Id, success.GetProperty("tokenId").GetString());
        Assert.Equal(client.SessionId, success.GetProperty("sessionId").GetString());
        Assert.Equal("kb", success.GetProperty("serverId").GetString());
        Assert.Equal("kb__lookup", success.GetProperty("target").GetString());
        Assert.Matches("^[0-9a-f]{64}$", success.GetProperty("pinHash").GetString());
        Assert.DoesNotContain("AKIAIOSFODNN7EXAMPLE", success.GetProperty("arguments").GetString());
        Assert.Contains("redacted by Portcullis", success.GetProperty("arguments").GetString());
        var fullArguments = """{"title":"key AKIAIOSFODNN7EXAMPLE"}""";
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fullArguments))), success.GetProperty("argumentsHash").GetString());
        var stages = success.GetProperty("stages").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Equal(["route", "registry", "kill-switch", "identity", "policy", "approval", "idempotency", "limits", "audit-intent", "upstream", "inspect"], stages.Select(s => s[..s.IndexOf(':')]));
        Assert.Contains(stages, s => s.StartsWith("policy: allow by readers (", StringComparison.Ordinal));
        Assert.Equal("readers", success.GetProperty("policyRule").GetString());
        Assert.Matches("^[0-9a-f]{12}$", success.GetProperty("policyVersion").GetString());
        Assert.Equal("success", success.GetProperty("outcome").GetString());
        Assert.DoesNotContain("AKIAIOSFODNN7EXAMPLE", success.GetProperty("resultSummary").GetString());
        Assert.Contains(success.GetProperty("actions").EnumerateArray(), a => a.GetString()!.StartsWith("redacted an AWS access key id", StringComparison.Ordinal));
        Assert.True(success.GetProperty("latencyMs").GetDouble() > 0);
        Assert.Matches("^[0-9a-f]{32}$", success.GetProperty("traceId").GetString());
        Assert.Contains(success.GetProperty("traceId").GetString()!, upstream.LastTraceparent);
        Assert.Contains(success.GetProperty("traceId").GetString()!, upstream.LastTraceparentHeader);

        var denied = calls[1];
        Assert.Equal("denied", denied.GetProperty("outcome").GetString());
        Assert.Equal("kb__status", denied.GetProperty("target").GetString());
        Assert.Contains("no rule grants tool 'kb__status' to rita", denied.GetProperty("reason").GetString());
        Assert.Equal(["route", "registry", "kill-switch", "identity", "policy"], denied.GetProperty("stages").EnumerateArray().Select(s => s.GetString()![..s.GetString()!.IndexOf(':')]));
        Assert.Equal(success.GetProperty("hash").GetString(), denied.GetProperty("prevHash").GetString());

        Assert.Single(await QueryAsync(gateway, "member=rita&outcome=denied"));
        Assert.NotEmpty(await QueryAsync(gateway, "member=rita&kind=tools/list"));
        Assert.True((await VerifyAsync(gateway)).GetProperty("ok").GetBoolean());
    }

    [Theory]
    [InlineData("edit", "record 3 was edited")]
    [InlineData("delete", "record 3 is missing")]
    [InlineData("reorder", "record 4 appears where record 3 belongs: records were reordered")]
    [InlineData("insert", "record 3 was edited or forged")]
    public async Task Tampering_with_the_stored_chain_is_found_and_named(string tampering, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url), ct);
        var (token, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "rita", Roles = ["reader"] }, ct);
        await using (var client = await gateway.ConnectAsync(token: token, cancellationToken: ct))
        {
            for (var i = 0; i < 5; i++)
            {
                await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = $"article {i}" }, cancellationToken: ct);
            }
        }

        Assert.True((await VerifyAsync(gateway)).GetProperty("ok").GetBoolean());
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(gateway.Directory, "gateway.db")};Pooling=false"))
        {
            await db.OpenAsync(ct);
            var sql = tampering switch
            {
                "edit" => "UPDATE audit SET record = replace(record, 'rita', 'mallory') WHERE seq = 3",
                "delete" => "DELETE FROM audit WHERE seq = 3",
                "reorder" => "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -1",
                // A forged record slipped in as number 3 and the rest renumbered.
                _ => "UPDATE audit SET seq = seq + 1000 WHERE seq >= 3; UPDATE audit SET seq = seq - 999 WHERE seq >= 1003; INSERT INTO audit (seq, time, kind, subject, target, outcome, record) SELECT 3, time, kind, subject, target, outcome, replace(replace(record, '\"Seq\":2', '\"Seq\":3'), 'article', 'forged') FROM audit WHERE seq = 2",
            };
            await using var command = db.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(ct);
        }

        var verdict = await VerifyAsync(gateway);
        Assert.False(verdict.GetProperty("ok").GetBoolean());
        Assert.Contains(expected, verdict.GetProperty("firstBreak").GetString());
    }

    [Fact]
    public async Task Signed_checkpoints_verify_with_the_published_key_and_catch_a_truncation_the_chain_alone_cannot()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url) + "\naudit:\n  checkpointEvery: 4", ct);
        var (token, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "rita", Roles = ["reader"] }, ct);
        await using (var client = await gateway.ConnectAsync(token: token, cancellationToken: ct))
        {
            for (var i = 0; i < 12; i++)
            {
                await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = $"article {i}" }, cancellationToken: ct);
            }
        }

        var published = JsonDocument.Parse(await gateway.Http.GetStringAsync("/admin/api/audit/checkpoints", ct)).RootElement;
        var publicKey = published.GetProperty("publicKey").GetString()!;
        var exported = published.GetProperty("checkpoints").Deserialize<Portcullis.Audit.Checkpoint[]>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(exported.Length >= 2, $"{exported.Length} checkpoints");
        Assert.All(exported, c => Assert.True(Portcullis.Audit.AuditSigner.Verify(c, publicKey)));
        Assert.True((await VerifyAsync(gateway)).GetProperty("ok").GetBoolean());

        // Cut off the tail of the chain and the checkpoints stored with it: the chain alone still looks whole…
        var keep = exported[0].Seq;
        await ExecuteAsync(gateway, $"DELETE FROM audit WHERE seq > {keep}; DELETE FROM audit_checkpoints WHERE seq > {keep}");
        Assert.True((await VerifyAsync(gateway)).GetProperty("ok").GetBoolean());

        // …but not against the checkpoints exported before.
        using var response = await gateway.Http.PostAsJsonAsync("/admin/api/audit/verify", exported, ct);
        var verdict = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.False(verdict.GetProperty("ok").GetBoolean());
        Assert.Contains($"the chain was truncated: a checkpoint vouches for record {exported[1].Seq} but the chain ends at {keep}", verdict.GetProperty("firstBreak").GetString());

        await ExecuteAsync(gateway, "UPDATE audit_checkpoints SET signature = 'AAAA' || substr(signature, 5)");
        Assert.Contains($"the checkpoint at record {keep} has an invalid signature", (await VerifyAsync(gateway)).GetProperty("firstBreak").GetString());
    }

    [Fact]
    public async Task Retention_prunes_up_to_a_signed_checkpoint_and_the_rest_still_verifies()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url) + "\naudit:\n  checkpointEvery: 3\n  retention: 1h", ct);
        var (token, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "rita", Roles = ["reader"] }, ct);
        await using (var client = await gateway.ConnectAsync(token: token, cancellationToken: ct))
        {
            for (var i = 0; i < 10; i++)
            {
                await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = $"article {i}" }, cancellationToken: ct);
            }
        }

        var retention = (Portcullis.Gateway.Hosting.AuditRetention)gateway.Services.GetService(typeof(Portcullis.Gateway.Hosting.AuditRetention))!;
        Assert.Null(await retention.RunOnceAsync(DateTimeOffset.UtcNow, ct)); // nothing is an hour old yet
        var pruned = await retention.RunOnceAsync(DateTimeOffset.UtcNow.AddHours(2), ct);

        Assert.NotNull(pruned);
        var remaining = await QueryAsync(gateway, "limit=1000");
        Assert.Equal(pruned + 1, remaining[0].GetProperty("seq").GetInt64());
        Assert.Contains(remaining, r => r.GetProperty("kind").GetString() == "admin:retention");
        var verdict = await VerifyAsync(gateway);
        Assert.True(verdict.GetProperty("ok").GetBoolean(), verdict.ToString());

        // Deleting more from the head is not retention: nothing signed vouches for where that would start.
        await ExecuteAsync(gateway, $"DELETE FROM audit WHERE seq = {pruned + 1}");
        Assert.Contains($"records 1 to {pruned + 1} are missing", (await VerifyAsync(gateway)).GetProperty("firstBreak").GetString());
    }

    private static async Task ExecuteAsync(TestGateway gateway, string sql)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(gateway.Directory, "gateway.db")};Pooling=false");
        await db.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Without_its_audit_store_the_gateway_refuses_to_act_and_says_why()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await TestGateway.StartAsync($"servers:\n{Yaml.TicketsStdio()}", ct);
        await using var client = await gateway.ConnectAsync(cancellationToken: ct);
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(gateway.Directory, "gateway.db")};Pooling=false"))
        {
            await db.OpenAsync(ct);
            await using var command = db.CreateCommand();
            command.CommandText = "DROP TABLE audit";
            await command.ExecuteNonQueryAsync(ct);
        }

        var write = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "must not exist" }, cancellationToken: ct).AsTask());
        Assert.Contains("The audit store is unavailable", write.Message);
        var read = await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
        Assert.Contains("without evidence the gateway does not act", read.Message);
        Assert.Contains(gateway.Log.Lines, l => l.Contains("Audit store failed to commit"));

        using var ready = await gateway.Http.GetAsync("/readyz", ct);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("failing: governed calls are refused", await ready.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task Metrics_count_calls_denials_latency_and_upstream_health_in_prometheus_text()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await ChangingServer.StartAsync(ct);
        await using var gateway = await TestGateway.StartAsync(Body(upstream.Url), ct);
        var (token, _) = await gateway.IssueTokenAsync(new MemberTokenRequest { Member = "rita", Roles = ["reader"] }, ct);
        await using var client = await gateway.ConnectAsync(token: token, cancellationToken: ct);
        await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "x" }, cancellationToken: ct);
        await client.CallToolAsync("kb__lookup", new Dictionary<string, object?> { ["title"] = "y" }, cancellationToken: ct);
        await Assert.ThrowsAsync<McpProtocolException>(() => client.CallToolAsync("kb__status", cancellationToken: ct).AsTask());

        using var anonymous = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        var metrics = await anonymous.GetStringAsync("/metrics", ct);

        Assert.Contains("# TYPE portcullis_calls_total counter", metrics);
        Assert.Contains("portcullis_calls_total{kind=\"tools/call\",outcome=\"success\",server=\"kb\"} 2", metrics);
        Assert.Contains("portcullis_denials_total{reason=\"forbidden\",stage=\"policy\"} 1", metrics);
        Assert.Contains("portcullis_call_duration_milliseconds_count{kind=\"tools/call\",outcome=\"success\"} 2", metrics);
        Assert.Contains("portcullis_upstream_up{server=\"kb\"} 1", metrics);
        Assert.Matches(@"portcullis_audit_records_total \d+", metrics);
        Assert.Matches(@"portcullis_audit_pending \d+", metrics);
        Assert.DoesNotContain("rita", metrics);
    }
}
