namespace Portcullis.Policy;

/// <summary>The policy section of the configuration.</summary>
public sealed record PolicyConfig
{
    /// <summary>Rules, in file order (order does not change decisions: deny beats approve beats allow).</summary>
    public IReadOnlyList<PolicyRule> Rules { get; init; } = [];

    /// <summary>Risk classes by tool pattern; the first match wins, unlisted tools are <see cref="RiskClass.Read"/> unless annotations say more.</summary>
    public IReadOnlyList<RiskAssignment> Risk { get; init; } = [];

    /// <summary>The least strict effect each risk class gets, whatever rules allow (e.g. destructive → approve).</summary>
    public IReadOnlyDictionary<RiskClass, PolicyEffect> RiskDefaults { get; init; } = new Dictionary<RiskClass, PolicyEffect>();

    /// <summary>Rate limits.</summary>
    public IReadOnlyList<RateLimitRule> Limits { get; init; } = [];

    /// <summary>Cost units a principal may spend per UTC day; null for no budget.</summary>
    public int? DailyBudget { get; init; }

    /// <summary>Cost of tools by pattern (first match); unlisted tools cost 1.</summary>
    public IReadOnlyList<(IReadOnlyList<string> Tools, int Cost)> Costs { get; init; } = [];
}
