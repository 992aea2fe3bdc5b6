namespace Portcullis.Policy;

/// <summary>A decision, with what made it: the rule (null when nothing granted), the policy version, the risk class, and why.</summary>
public sealed record PolicyDecision(PolicyEffect Effect, string? RuleId, string PolicyVersion, RiskClass Risk, string Reason)
{
    /// <summary>True for <see cref="PolicyEffect.Allow"/>.</summary>
    public bool IsAllowed => Effect == PolicyEffect.Allow;
}
