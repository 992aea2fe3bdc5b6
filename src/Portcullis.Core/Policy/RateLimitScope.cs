namespace Portcullis.Policy;

/// <summary>What a rate-limit counter is kept for.</summary>
public enum RateLimitScope
{
    /// <summary>One counter per principal.</summary>
    Principal,

    /// <summary>One counter per tool.</summary>
    Tool,

    /// <summary>One counter per server.</summary>
    Server,
}
