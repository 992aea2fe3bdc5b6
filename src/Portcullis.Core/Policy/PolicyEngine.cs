using System.Collections.Concurrent;
using Portcullis.Identity;
using Portcullis.Routing;

namespace Portcullis.Policy;

/// <summary>
/// Default-deny decisions from one immutable policy. Nothing granted means denied; a matching deny rule beats any
/// grant; among grants the strictest effect wins (approve over allow); argument rules must hold for a rule to grant;
/// the risk class (configured, made stricter by MCP annotations, never relaxed) can only tighten the result. The
/// rules whose patterns match a target are found once per target, and those a set of roles may use once per target
/// and role set; both are cached, so a decision walks only the rules that can apply to it.
/// </summary>
public sealed class PolicyEngine
{
    /// <summary>Beyond this many cached (target, roles) entries, candidates are filtered per decision instead.</summary>
    private const int MaxCachedRoleSets = 50_000;

    private readonly PolicyConfig _policy;
    private readonly ConcurrentDictionary<(PolicyTarget, string), PolicyRule[]> _candidates = new();
    private readonly ConcurrentDictionary<(PolicyTarget, string, int, string), PolicyRule[]> _candidatesForRoles = new();
    private readonly ConcurrentDictionary<string, RiskClass> _configuredRisk = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _costs = new(StringComparer.Ordinal);
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
        var risk = request.Target == PolicyTarget.Tool
            ? _configuredRisk.GetOrAdd(request.QualifiedName, static (name, assignments) =>
                assignments.FirstOrDefault(a => a.Tools.Any(p => Glob.IsMatch(p, name)))?.Class ?? RiskClass.Read, _policy.Risk)
            : RiskClass.Read;

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
    public int CostOf(string qualifiedName) =>
        _costs.GetOrAdd(qualifiedName, static (name, costs) =>
        {
            foreach (var (tools, cost) in costs)
            {
                if (tools.Any(p => Glob.IsMatch(p, name)))
                {
                    return cost;
                }
            }

            return 1;
        }, _policy.Costs);

    /// <summary>The rules, in policy order, that match the request's target and that the principal's roles may use.</summary>
    private PolicyRule[] Candidates(PolicyRequest request)
    {
        var roles = request.Principal.Roles;
        var key = (request.Target, request.QualifiedName, roles.Count, roles.Count == 1 ? roles[0] : RoleSetKey(roles));
        if (_candidatesForRoles.TryGetValue(key, out var cached))
        {
            return cached;
        }

        PolicyRule[] candidates = [.. MatchingTarget(request).Where(rule => HasRole(rule, request.Principal))];
        if (_candidatesForRoles.Count < MaxCachedRoleSets)
        {
            _candidatesForRoles.TryAdd(key, candidates);
        }

        return candidates;
    }

    /// <summary>
    /// Several roles as one key, each prefixed with its length: a role's text (an IdP group's, which its owner may
    /// choose) can then never spell another role set. Not sorted: a credential's roles come in the same order each
    /// time, and another order only costs an entry.
    /// </summary>
    private static string RoleSetKey(IReadOnlyList<string> roles)
    {
        var length = 0;
        for (var i = 0; i < roles.Count; i++)
        {
            length += DigitsOf(roles[i].Length) + 1 + roles[i].Length;
        }

        // One allocation, the key itself: this runs on every decision for a caller with several roles.
        return string.Create(length, roles, static (span, roles) =>
        {
            for (var i = 0; i < roles.Count; i++)
            {
                var role = roles[i];
                role.Length.TryFormat(span, out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
                span[digits] = ':';
                role.CopyTo(span[(digits + 1)..]);
                span = span[(digits + 1 + role.Length)..];
            }
        });
    }

    private static int DigitsOf(int value)
    {
        var digits = 1;
        for (; value >= 10; value /= 10)
        {
            digits++;
        }

        return digits;
    }

    private PolicyRule[] MatchingTarget(PolicyRequest request) =>
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

    /// <summary>Whether a candidate (already matched on target and roles) applies where and when the request is made.</summary>
    private static bool Applies(PolicyRule rule, PolicyRequest request)
    {
        if (rule.VirtualServers is { } scope && (request.VirtualServer is null || !scope.Contains(request.VirtualServer, StringComparer.Ordinal)))
        {
            return false;
        }

        return rule.When is null || ConditionsHold(rule.When, request);
    }

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
