namespace Portcullis.Policy;

/// <summary>One policy rule: which roles, which targets, where and when, with what arguments, and the effect.</summary>
public sealed record PolicyRule
{
    /// <summary>Stable id, quoted in every decision it makes.</summary>
    public required string Id { get; init; }

    /// <summary>Roles the rule is for; <c>*</c> means any authenticated principal.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Namespaced tool patterns (<c>tickets__list_*</c>).</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Namespaced prompt patterns.</summary>
    public IReadOnlyList<string> Prompts { get; init; } = [];

    /// <summary>Resource patterns as <c>server__uri-glob</c>.</summary>
    public IReadOnlyList<string> Resources { get; init; } = [];

    /// <summary>Virtual servers the rule is limited to; null for every endpoint.</summary>
    public IReadOnlyList<string>? VirtualServers { get; init; }

    /// <summary>What the rule decides.</summary>
    public PolicyEffect Effect { get; init; } = PolicyEffect.Allow;

    /// <summary>When the rule applies.</summary>
    public RuleConditions? When { get; init; }

    /// <summary>For an approve rule: how many distinct approvers must agree (2 for a two-person rule).</summary>
    public int Approvers { get; init; } = 1;

    /// <summary>Constraints on arguments; an allow or approve rule grants only when all hold.</summary>
    public IReadOnlyDictionary<string, ArgumentConstraint> Arguments { get; init; } = new Dictionary<string, ArgumentConstraint>();

    /// <summary>Arguments that must be present.</summary>
    public IReadOnlyList<string> Require { get; init; } = [];

    /// <summary>Arguments that must be absent.</summary>
    public IReadOnlyList<string> Forbid { get; init; } = [];
}
