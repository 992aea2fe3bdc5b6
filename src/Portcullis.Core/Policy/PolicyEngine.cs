using System.Collections.Concurrent;
using Portcullis.Identity;
using Portcullis.Routing;

namespace Portcullis.Policy;

/// <summary>
/// Default-deny decisions from one immutable policy. Nothing granted means denied; a matching deny rule beats any
/// grant; among grants the strictest effect wins (approve over allow); argument rules must hold for a rule to grant;
/// the risk class (configured, made stricter by MCP annotations, never relaxed) can only tighten the result. The
/// rules whose patterns match a target are found once per target and cached, so a decision walks only those.
/// </summary>
public sealed class PolicyEngine
{
    private readonly PolicyConfig _policy;
    private readonly ConcurrentDictionary<(PolicyTarget, string), PolicyRule[]> _candidates = new();
    private readonly ConcurrentDictionary<string, string> _allowedMessages = new(StringComparer.Ordinal);

    /// <summary>Compiles <paramref name="policy"/>, versioned <paramref name="version"/>.</summary>
    public PolicyEngine(PolicyConfig policy, string version)
    {
        _policy = policy;
        Version = version;
    }

    /// <summary>The version decisions quote (the configuration's hash prefix).</summary>
    public string Version { get; }

    /// <summary>Decides a call.</summary>
    public PolicyDecision Decide(PolicyRequest request)
    {
        var risk = RiskOf(request);
        PolicyRule? granting = null;
        PolicyRule? denying = null;
        string? violation = null;
        PolicyRule? violated = null;
        foreach (var rule in Candidates(request))
        {
            if (!Applies(rule, request))
            {
                continue;
            }

            if (rule.Effect == PolicyEffect.Deny)
            {
                denying = rule;
                break;
            }

            if (request.Arguments is not null && ArgumentCheck.FirstViolation(rule, request.Arguments) is { } reason)
            {
                violated ??= rule;
                violation ??= reason;
                continue;
            }

            if (granting is null || rule.Effect > granting.Effect)
            {
                granting = rule;
            }
        }

        if (denying is not null)
        {
            return new PolicyDecision(PolicyEffect.Deny, denying.Id, Version, risk, $"rule '{denying.Id}' denies {What(request)} to {request.Principal.Subject}");
        }

        if (granting is null)
        {
            var reason = violated is not null
                ? $"rule '{violated.Id}' would allow {What(request)}, but {violation}"
                : $"no rule grants {What(request)} to {request.Principal.Subject} (roles: {(request.Principal.Roles.Count == 0 ? "none" : string.Join(", ", request.Principal.Roles))})";
            return new PolicyDecision(PolicyEffect.Deny, violated?.Id, Version, risk, reason);
        }

        var effect = granting.Effect;
        if (effect == PolicyEffect.Allow && (!_policy.RiskDefaults.TryGetValue(risk, out var riskFloor) || riskFloor == PolicyEffect.Allow))
        {
            // The common case: no message is built, so a granted call allocates nothing here.
            return new PolicyDecision(PolicyEffect.Allow, granting.Id, Version, risk, AllowedBy(granting));
        }

        if (_policy.RiskDefaults.TryGetValue(risk, out var floor) && floor > effect)
        {
            return new PolicyDecision(floor, granting.Id, Version, risk, $"rule '{granting.Id}' allows {What(request)}, but {risk.ToString().ToLowerInvariant()} tools need {(floor == PolicyEffect.Approve ? "human approval" : "to be denied")} (policy.riskDefaults)");
        }

        return new PolicyDecision(effect, granting.Id, Version, risk, effect == PolicyEffect.Approve
            ? $"rule '{granting.Id}' requires human approval for {What(request)}"
            : AllowedBy(granting));
    }

    private static string What(PolicyRequest request) => $"{request.Target.ToString().ToLowerInvariant()} '{request.QualifiedName}'";

    private string AllowedBy(PolicyRule rule) => _allowedMessages.GetOrAdd(rule.Id, static id => $"allowed by rule '{id}'");

    /// <summary>Whether the principal should see the item in a list: some rule could grant it (whatever the arguments) and none denies it.</summary>
    public bool IsVisible(PolicyRequest request) => Decide(request.Arguments is null ? request : request with { Arguments = null }).Effect != PolicyEffect.Deny;

    /// <summary>The risk class of a target: the first configured match, made stricter (never looser) by annotations.</summary>
    public RiskClass RiskOf(PolicyRequest request)
    {
        var risk = RiskClass.Read;
        if (request.Target == PolicyTarget.Tool)
        {
            foreach (var assignment in _policy.Risk)
            {
                if (assignment.Tools.Any(p => Glob.IsMatch(p, request.QualifiedName)))
                {
                    risk = assignment.Class;
                    break;
                }
            }
        }

        if (request.Annotations is { } hints)
        {
            if (hints.ReadOnlyHint == false && risk < RiskClass.Write)
            {
                risk = RiskClass.Write;
            }

            if (hints.DestructiveHint == true && risk < RiskClass.Destructive)
            {
                risk = RiskClass.Destructive;
            }

            if (hints.OpenWorldHint == true && risk < RiskClass.External)
            {
                risk = RiskClass.External;
            }
        }

        return risk;
    }

    /// <summary>The cost in budget units of a tool call.</summary>
    public int CostOf(string qualifiedName)
    {
        foreach (var (tools, cost) in _policy.Costs)
        {
            if (tools.Any(p => Glob.IsMatch(p, qualifiedName)))
            {
                return cost;
            }
        }

        return 1;
    }

    private PolicyRule[] Candidates(PolicyRequest request) =>
        _candidates.GetOrAdd((request.Target, request.QualifiedName), static (key, rules) =>
        {
            var (target, name) = key;
            return [.. rules.Where(r => (target switch
            {
                PolicyTarget.Tool => r.Tools,
                PolicyTarget.Prompt => r.Prompts,
                _ => r.Resources,
            }).Any(p => p == "*" || Glob.IsMatch(p, name)))];
        }, _policy.Rules);

    private static bool Applies(PolicyRule rule, PolicyRequest request)
    {
        if (!HasRole(rule, request.Principal))
        {
            return false;
        }

        if (rule.VirtualServers is { } scope && (request.VirtualServer is null || !scope.Contains(request.VirtualServer, StringComparer.Ordinal)))
        {
            return false;
        }

        return rule.When is null || ConditionsHold(rule.When, request);
    }

    /// <summary>Loops rather than LINQ: this runs for every candidate rule of every call.</summary>
    private static bool HasRole(PolicyRule rule, Principal principal)
    {
        foreach (var role in rule.Roles)
        {
            if (role == "*")
            {
                return true;
            }

            foreach (var held in principal.Roles)
            {
                if (string.Equals(role, held, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool ConditionsHold(RuleConditions when, PolicyRequest request)
    {
        if (when.Tenants is { } tenants && (request.Principal.Tenant is null || !tenants.Contains(request.Principal.Tenant, StringComparer.Ordinal)))
        {
            return false;
        }

        if (when.Environments is { } environments && (request.Environment is null || !environments.Contains(request.Environment, StringComparer.Ordinal)))
        {
            return false;
        }

        var utc = request.Now.UtcDateTime;
        if (when.Days is { } days && !days.Contains(utc.DayOfWeek))
        {
            return false;
        }

        if (when.Hours is { } window)
        {
            var time = TimeOnly.FromDateTime(utc);
            var inside = window.From <= window.To
                ? time >= window.From && time < window.To
                : time >= window.From || time < window.To;
            if (!inside)
            {
                return false;
            }
        }

        return true;
    }
}
