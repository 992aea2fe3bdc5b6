namespace Portcullis.Policy;

/// <summary>When a rule applies: tenants, environments of the target server, a UTC time window and weekdays.</summary>
public sealed record RuleConditions
{
    /// <summary>Tenants the principal must belong to.</summary>
    public IReadOnlyList<string>? Tenants { get; init; }

    /// <summary>Environments (dev, test, prod…) the target server must be in.</summary>
    public IReadOnlyList<string>? Environments { get; init; }

    /// <summary>UTC time-of-day window, start inclusive, end exclusive (may wrap midnight).</summary>
    public (TimeOnly From, TimeOnly To)? Hours { get; init; }

    /// <summary>Weekdays (UTC) the rule applies on.</summary>
    public IReadOnlyList<DayOfWeek>? Days { get; init; }
}
