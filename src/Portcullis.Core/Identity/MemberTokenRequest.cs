namespace Portcullis.Identity;

/// <summary>What to put in a new member token.</summary>
public sealed record MemberTokenRequest
{
    /// <summary>The member.</summary>
    public required string Member { get; init; }

    /// <summary>Roles to grant.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>How long the token works.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Servers to limit the token to; null for no limit.</summary>
    public IReadOnlyList<string>? Servers { get; init; }

    /// <summary>The agent the token is for.</summary>
    public string? Agent { get; init; }

    /// <summary>Tenant of the member.</summary>
    public string? Tenant { get; init; }

    /// <summary>Person or workflow.</summary>
    public SubjectKind Kind { get; init; } = SubjectKind.User;
}
