namespace Portcullis.Configuration;

/// <summary>How duplicate write requests are recognised.</summary>
public sealed record IdempotencyConfig
{
    /// <summary>How long an execution's result answers duplicates.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Without an explicit key, treat the same principal, tool and arguments within the window as a duplicate.</summary>
    public bool DeriveKeys { get; init; } = true;
}
