namespace Portcullis.Identity;

/// <summary>A member access token as stored: never the secret, only its hash.</summary>
public sealed record MemberToken
{
    /// <summary>Public id, used to list and revoke; also the token's prefix.</summary>
    public required string Id { get; init; }

    /// <summary>The member (person or workflow) the token belongs to.</summary>
    public required string Member { get; init; }

    /// <summary>Whether the member is a person or a workflow.</summary>
    public SubjectKind Kind { get; init; } = SubjectKind.User;

    /// <summary>Roles granted.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>Servers the token is limited to; null means no limit.</summary>
    public IReadOnlyList<string>? Servers { get; init; }

    /// <summary>The agent the token is meant for, if it names one.</summary>
    public string? Agent { get; init; }

    /// <summary>Tenant of the member, if any.</summary>
    public string? Tenant { get; init; }

    /// <summary>SHA-256 of the secret part.</summary>
    public required byte[] SecretHash { get; init; }

    /// <summary>When issued.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it stops working.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Who issued it.</summary>
    public required string CreatedBy { get; init; }
}
