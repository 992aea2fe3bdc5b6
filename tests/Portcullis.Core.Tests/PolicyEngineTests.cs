using System.Text.Json;
using ModelContextProtocol.Protocol;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.Policy;

namespace Portcullis.Core.Tests;

public sealed class PolicyEngineTests
{
    private const string Config = """
        servers:
          - id: tickets
            command: x
            environment: prod
          - id: github
            command: x
          - id: sandbox
            command: x
            environment: dev
        virtualServers:
          - id: support
            tools: [tickets__*]
        policy:
          rules:
            - id: support-read
              roles: [support]
              tools: [tickets__list_*, tickets__get_ticket]
            - id: support-write
              roles: [support]
              tools: [tickets__create_ticket]
              arguments:
                priority: { enum: [low, normal] }
                title: { maxLength: 40, pattern: "^[A-Z]" }
              require: [title]
              forbid: [assignee]
            - id: dev-repos
              roles: [dev]
              tools: [github__*]
              arguments:
                repo: { prefix: "acme/" }
                count: { min: 1, max: 10 }
            - id: dev-no-admin
              roles: [dev]
              tools: [github__delete_*, github__admin_*]
              effect: deny
            - id: release-approval
              roles: [dev]
              tools: [github__create_release]
              effect: approve
            - id: acme-only
              roles: ["*"]
              tools: [sandbox__*]
              when: { tenants: [acme], environments: [dev] }
            - id: business-hours
              roles: [ops]
              tools: [tickets__*]
              when: { hours: "08:00-18:00", days: [mon, tue, wed, thu, fri] }
            - id: support-portal
              roles: [portal]
              tools: [tickets__get_ticket]
              virtualServers: [support]
          risk:
            - tools: ["*__delete_*"]
              class: destructive
            - tools: [github__create_release]
              class: external
          riskDefaults:
            destructive: approve
        """;

    private static readonly PolicyEngine Engine = new(ConfigLoader.Parse(Config).Policy, "test-1");

    /// <summary>A member holding <paramref name="role"/>, or several roles given comma-separated.</summary>
    private static Principal Who(string role, string? tenant = null) =>
        new() { Subject = role + "-user", Roles = role.Split(','), Tenant = tenant, Method = AuthenticationMethod.MemberToken, Issuer = "portcullis" };

    private static PolicyDecision Decide(string role, string tool, string? args = "{}", string? tenant = null, string? environment = null, string? virtualServer = null, DateTimeOffset? now = null, ToolAnnotations? annotations = null)
    {
        var separator = tool.IndexOf("__", StringComparison.Ordinal);
        return Engine.Decide(new PolicyRequest
        {
            Principal = Who(role, tenant),
            ServerId = tool[..separator],
            Name = tool[(separator + 2)..],
            Arguments = args is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(args),
            Environment = environment,
            VirtualServer = virtualServer,
            Now = now ?? new DateTimeOffset(2026, 11, 18, 10, 0, 0, TimeSpan.Zero), // a Wednesday, 10:00 UTC
            Annotations = annotations,
        });
    }

    [Theory]
    [InlineData("support", "tickets__list_tickets", "{}", PolicyEffect.Allow, "support-read")]
    [InlineData("support", "tickets__get_ticket", "{}", PolicyEffect.Allow, "support-read")]
    [InlineData("support", "tickets__delete_ticket", "{}", PolicyEffect.Deny, null)]
    [InlineData("dev", "tickets__list_tickets", "{}", PolicyEffect.Deny, null)]
    [InlineData("support", "github__list_repos", "{}", PolicyEffect.Deny, null)]
    [InlineData("support", "tickets__create_ticket", """{"title":"Printer","priority":"low"}""", PolicyEffect.Allow, "support-write")]
    [InlineData("support", "tickets__create_ticket", """{"title":"Printer","priority":"high"}""", PolicyEffect.Deny, "support-write")]
    [InlineData("support", "tickets__create_ticket", """{"priority":"low"}""", PolicyEffect.Deny, "support-write")]
    [InlineData("support", "tickets__create_ticket", """{"title":"printer"}""", PolicyEffect.Deny, "support-write")]
    [InlineData("support", "tickets__create_ticket", """{"title":"Printer","assignee":"bob"}""", PolicyEffect.Deny, "support-write")]
    [InlineData("support", "tickets__create_ticket", """{"title":"A title that is far too long to be accepted here"}""", PolicyEffect.Deny, "support-write")]
    [InlineData("dev", "github__list_issues", """{"repo":"acme/portal","count":5}""", PolicyEffect.Allow, "dev-repos")]
    [InlineData("dev", "github__list_issues", """{"repo":"evil/portal"}""", PolicyEffect.Deny, "dev-repos")]
    [InlineData("dev", "github__list_issues", """{"repo":"acme/portal","count":50}""", PolicyEffect.Deny, "dev-repos")]
    [InlineData("dev", "github__list_issues", """{"repo":"acme/portal","count":"5"}""", PolicyEffect.Deny, "dev-repos")]
    [InlineData("dev", "github__delete_repo", """{"repo":"acme/portal"}""", PolicyEffect.Deny, "dev-no-admin")]
    [InlineData("dev", "github__create_release", """{"repo":"acme/portal"}""", PolicyEffect.Approve, "release-approval")]
    public void Rules_decide_with_deny_over_approve_over_allow_and_argument_rules(string role, string tool, string args, PolicyEffect effect, string? rule)
    {
        var decision = Decide(role, tool, args);
        Assert.Equal(effect, decision.Effect);
        Assert.Equal(rule, decision.RuleId);
        Assert.Equal("test-1", decision.PolicyVersion);
    }

    [Fact]
    public void A_member_with_several_roles_gets_what_each_role_grants_and_every_denial()
    {
        // Asked one role at a time first, so a cached answer for one role set cannot stand in for another.
        Assert.Equal(PolicyEffect.Deny, Decide("dev", "tickets__get_ticket").Effect);
        Assert.Equal(PolicyEffect.Deny, Decide("support", "github__list_issues", """{"repo":"acme/portal","count":5}""").Effect);
        Assert.Equal("support-read", Decide("dev,support", "tickets__get_ticket").RuleId);
        Assert.Equal("support-read", Decide("support,dev", "tickets__get_ticket").RuleId);
        Assert.Equal("dev-repos", Decide("support,dev", "github__list_issues", """{"repo":"acme/portal","count":5}""").RuleId);
        Assert.Equal(("dev-no-admin", PolicyEffect.Deny), (Decide("support,dev", "github__delete_repo").RuleId, Decide("support,dev", "github__delete_repo").Effect));
        Assert.Equal(PolicyEffect.Deny, Decide("dev", "tickets__get_ticket").Effect);
        Assert.Equal(PolicyEffect.Allow, Decide("nobody,anyone", "sandbox__run", tenant: "acme", environment: "dev").Effect);
        Assert.Equal(PolicyEffect.Deny, Decide("nobody,anyone", "tickets__get_ticket").Effect);
    }

    [Fact]
    public void A_role_whose_name_joins_two_others_gets_neither_ones_grants()
    {
        // An IdP group's text is the caller's to choose; it must not reach the rules cached for another role set.
        Assert.Equal(PolicyEffect.Allow, Decide("support,dev", "tickets__get_ticket").Effect);
        var joined = new Principal { Subject = "mallory", Roles = ["support\ndev"], Method = AuthenticationMethod.Oidc, Issuer = "https://idp.example" };
        Assert.Equal(PolicyEffect.Deny, Engine.Decide(new PolicyRequest { Principal = joined, ServerId = "tickets", Name = "get_ticket", Arguments = new Dictionary<string, JsonElement>() }).Effect);
    }

    [Fact]
    public void A_denial_explains_which_argument_broke_which_rule()
    {
        var decision = Decide("support", "tickets__create_ticket", """{"title":"Printer","priority":"high"}""");
        Assert.Equal("rule 'support-write' would allow tool 'tickets__create_ticket', but argument 'priority' must be one of [low, normal]", decision.Reason);

        var nothing = Decide("dev", "tickets__list_tickets");
        Assert.Equal("no rule grants tool 'tickets__list_tickets' to dev-user (roles: dev)", nothing.Reason);
    }

    [Fact]
    public void A_risk_class_default_makes_an_allowed_call_stricter()
    {
        var engine = new PolicyEngine(ConfigLoader.Parse(Config.Replace("roles: [support]\n      tools: [tickets__list_*, tickets__get_ticket]", "roles: [support]\n      tools: [tickets__list_*, tickets__get_ticket, tickets__delete_ticket]")).Policy, "v");
        var decision = engine.Decide(new PolicyRequest { Principal = Who("support"), ServerId = "tickets", Name = "delete_ticket", Arguments = new Dictionary<string, JsonElement>() });

        Assert.Equal(PolicyEffect.Approve, decision.Effect);
        Assert.Equal(RiskClass.Destructive, decision.Risk);
        Assert.Contains("destructive tools need human approval", decision.Reason);
    }

    [Fact]
    public void Annotations_only_make_the_risk_stricter()
    {
        Assert.Equal(RiskClass.Destructive, Decide("support", "tickets__get_ticket", annotations: new ToolAnnotations { DestructiveHint = true }).Risk);
        Assert.Equal(RiskClass.External, Decide("dev", "github__create_release", annotations: new ToolAnnotations { ReadOnlyHint = true }).Risk);
        Assert.Equal(RiskClass.Read, Decide("support", "tickets__get_ticket", annotations: new ToolAnnotations { ReadOnlyHint = true, DestructiveHint = false }).Risk);
        // An upstream that hints "destructive" gets the destructive default (approval) even where a rule allows.
        Assert.Equal(PolicyEffect.Approve, Decide("support", "tickets__get_ticket", annotations: new ToolAnnotations { DestructiveHint = true }).Effect);
    }

    [Theory]
    [InlineData("acme", "dev", PolicyEffect.Allow)]
    [InlineData("globex", "dev", PolicyEffect.Deny)]
    [InlineData(null, "dev", PolicyEffect.Deny)]
    [InlineData("acme", "prod", PolicyEffect.Deny)]
    public void Tenant_and_environment_conditions_must_hold(string? tenant, string environment, PolicyEffect effect) =>
        Assert.Equal(effect, Decide("anyone", "sandbox__run", tenant: tenant, environment: environment).Effect);

    [Theory]
    [InlineData(2026, 11, 18, 10, 0, PolicyEffect.Allow)]   // Wednesday inside hours
    [InlineData(2026, 11, 18, 18, 0, PolicyEffect.Deny)]    // end is exclusive
    [InlineData(2026, 11, 18, 7, 59, PolicyEffect.Deny)]
    [InlineData(2026, 11, 21, 10, 0, PolicyEffect.Deny)]    // Saturday
    public void Time_windows_are_utc_and_weekday_bound(int year, int month, int day, int hour, int minute, PolicyEffect effect) =>
        Assert.Equal(effect, Decide("ops", "tickets__list_tickets", now: new DateTimeOffset(year, month, day, hour, minute, 0, TimeSpan.Zero)).Effect);

    [Fact]
    public void A_rule_scoped_to_a_virtual_server_applies_only_there()
    {
        Assert.Equal(PolicyEffect.Allow, Decide("portal", "tickets__get_ticket", virtualServer: "support").Effect);
        Assert.Equal(PolicyEffect.Deny, Decide("portal", "tickets__get_ticket").Effect);
    }

    [Fact]
    public void Visibility_ignores_argument_rules_but_not_denials()
    {
        Assert.True(Engine.IsVisible(new PolicyRequest { Principal = Who("support"), ServerId = "tickets", Name = "create_ticket" }));
        Assert.False(Engine.IsVisible(new PolicyRequest { Principal = Who("dev"), ServerId = "github", Name = "delete_repo" }));
        Assert.False(Engine.IsVisible(new PolicyRequest { Principal = Who("support"), ServerId = "github", Name = "list_repos" }));
    }

    [Fact]
    public void Invalid_policy_is_refused_with_the_key()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""
            servers:
              - id: tickets
                command: x
            policy:
              rules:
                - id: a
                  roles: [x]
                  tools: [nowhere__*]
                - id: a
                  roles: []
                  tools: [tickets__*]
                  effect: deny
                  arguments: { q: { pattern: "([" } }
            """));
        Assert.Contains(ex.Errors, e => e.Key == "policy.rules[0].tools[0]" && e.Message.Contains("'nowhere'"));
        Assert.Contains(ex.Errors, e => e.Key == "policy.rules[1].id" && e.Message.Contains("duplicate"));
        Assert.Contains(ex.Errors, e => e.Key == "policy.rules[1].roles");
        Assert.Contains(ex.Errors, e => e.Key == "policy.rules[1].arguments" && e.Message.Contains("deny rule"));

        var rate = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("policy:\n  limits:\n    - id: l\n      rate: lots\n"));
        Assert.Contains(rate.Errors, e => e.Key == "policy.limits[0].rate" && e.Line == 4);
    }
}
