using ModelContextProtocol;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.IntegrationTests.Infrastructure;

namespace Portcullis.IntegrationTests;

/// <summary>Default-deny policy through the gateway, with two members of different roles and real upstream servers.</summary>
public sealed class PolicyTests : IAsyncLifetime
{
    private TestGateway _gateway = null!;
    private string _support = "";
    private string _analyst = "";

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _gateway = await TestGateway.StartAsync($"""
            servers:
            {Yaml.TicketsStdio()}
            {Yaml.MemoryStdio()}
            policy:
              rules:
                - id: support-tickets
                  roles: [support]
                  tools: [tickets__list_tickets, tickets__get_ticket, tickets__create_ticket]
                  arguments:
                    priority: {"{"} enum: [low, normal] {"}"}
                - id: support-no-memory-writes
                  roles: [support]
                  tools: [memory__create_*, memory__delete_*]
                  effect: deny
                - id: support-memory-read
                  roles: [support]
                  tools: [memory__read_graph, memory__create_entities]
                - id: analyst-memory
                  roles: [analyst]
                  tools: [memory__*]
                - id: analyst-delete-needs-approval
                  roles: [analyst]
                  tools: [memory__delete_entities]
                  effect: approve
            approvals:
              wait: 200ms
            """, ct);
        (_support, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "sam", Roles = ["support"] }, ct);
        (_analyst, _) = await _gateway.IssueTokenAsync(new MemberTokenRequest { Member = "ana", Roles = ["analyst"] }, ct);
    }

    public async ValueTask DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Two_members_with_different_roles_see_different_tools()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var support = await _gateway.ConnectAsync(token: _support, cancellationToken: ct);
        await using var analyst = await _gateway.ConnectAsync(token: _analyst, cancellationToken: ct);

        var supportTools = (await support.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).Order().ToList();
        var analystTools = (await analyst.ListToolsAsync(cancellationToken: ct)).Select(t => t.Name).ToList();

        Assert.Equal(["memory__read_graph", "tickets__create_ticket", "tickets__get_ticket", "tickets__list_tickets"], supportTools);
        Assert.DoesNotContain(analystTools, n => n.StartsWith("tickets__", StringComparison.Ordinal));
        Assert.Contains("memory__create_entities", analystTools);
        Assert.Contains("memory__delete_entities", analystTools); // visible: it needs approval, it is not denied
    }

    [Fact]
    public async Task Decisions_differ_by_role_and_a_denial_names_its_rule_and_version()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var support = await _gateway.ConnectAsync(token: _support, cancellationToken: ct);
        await using var analyst = await _gateway.ConnectAsync(token: _analyst, cancellationToken: ct);
        var version = ConfigLoader.LoadFile(_gateway.ConfigPath).Version[..12];
        var entity = new Dictionary<string, object?> { ["entities"] = new[] { new { name = "policy-test", entityType = "note", observations = new[] { "x" } } } };

        Assert.NotEqual(true, (await analyst.CallToolAsync("memory__create_entities", entity, cancellationToken: ct)).IsError);

        // The explicit deny wins over the allow that also matches.
        var denied = await Assert.ThrowsAsync<McpProtocolException>(() => support.CallToolAsync("memory__create_entities", entity, cancellationToken: ct).AsTask());
        Assert.Contains($"Denied by policy {version}: rule 'support-no-memory-writes' denies tool 'memory__create_entities' to sam", denied.Message);

        // A tool that exists but is not granted is reported as denied, not as unknown.
        var notGranted = await Assert.ThrowsAsync<McpProtocolException>(() => analyst.CallToolAsync("tickets__list_tickets", cancellationToken: ct).AsTask());
        Assert.Contains("no rule grants tool 'tickets__list_tickets' to ana (roles: analyst)", notGranted.Message);
        Assert.DoesNotContain("Unknown tool", notGranted.Message);
    }

    [Fact]
    public async Task Argument_rules_hold_calls_to_the_allowed_values()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var support = await _gateway.ConnectAsync(token: _support, cancellationToken: ct);

        var created = await support.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "Mouse broken", ["priority"] = "low" }, cancellationToken: ct);
        Assert.NotEqual(true, created.IsError);

        var refused = await Assert.ThrowsAsync<McpProtocolException>(() => support.CallToolAsync("tickets__create_ticket", new Dictionary<string, object?> { ["title"] = "Everything is on fire", ["priority"] = "high" }, cancellationToken: ct).AsTask());
        Assert.Contains("rule 'support-tickets' would allow tool 'tickets__create_ticket', but argument 'priority' must be one of [low, normal]", refused.Message);
        Assert.DoesNotContain("Everything is on fire", AggregateEndpointTests.Text(await support.CallToolAsync("tickets__list_tickets", cancellationToken: ct)));
    }

    [Fact]
    public async Task An_approve_effect_holds_the_call_for_a_person_to_approve()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var analyst = await _gateway.ConnectAsync(token: _analyst, cancellationToken: ct);

        var held = await analyst.CallToolAsync("memory__delete_entities", new Dictionary<string, object?> { ["entityNames"] = new[] { "x" } }, cancellationToken: ct);

        Assert.True(held.IsError);
        Assert.Matches(@"Approval request apr_[0-9a-f]{10} is pending", AggregateEndpointTests.Text(held));
        Assert.Contains("rule 'analyst-delete-needs-approval' requires human approval", AggregateEndpointTests.Text(held));
    }

    [Fact]
    public void The_quickstart_configuration_is_valid_and_denies_by_default()
    {
        var config = ConfigLoader.LoadFile(Path.Combine(Repo.Root, "examples", "quickstart", "portcullis.yaml"));
        var guest = new Principal { Subject = "guest", Roles = ["guest"], Method = AuthenticationMethod.MemberToken, Issuer = "portcullis" };
        var decision = new Portcullis.Policy.PolicyEngine(config.Policy, "q").Decide(new Portcullis.Policy.PolicyRequest { Principal = guest, ServerId = "tickets", Name = "list_tickets", Arguments = new Dictionary<string, System.Text.Json.JsonElement>() });
        Assert.Equal(Portcullis.Policy.PolicyEffect.Deny, decision.Effect);
    }
}
