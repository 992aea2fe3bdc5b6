namespace Portcullis.Policy;

/// <summary>A rate limit: at most <see cref="Permits"/> calls per <see cref="Window"/>, counted per principal, tool or server.</summary>
public sealed record RateLimitRule
{
    /// <summary>Stable id; limit state is kept under it across reloads.</summary>
    public required string Id { get; init; }

    /// <summary>What each counter is for.</summary>
    public RateLimitScope Per { get; init; } = RateLimitScope.Principal;

    /// <summary>Tool patterns the limit covers (all when empty).</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>Risk class the limit covers (all when null).</summary>
    public RiskClass? RiskClass { get; init; }

    /// <summary>Calls allowed per window.</summary>
    public int Permits { get; init; }

    /// <summary>The window.</summary>
    public TimeSpan Window { get; init; }
}
