namespace Portcullis.Audit;

/// <summary>Filters for reading the audit chain; all optional.</summary>
public sealed record AuditQuery
{
    /// <summary>Subject (member) that acted.</summary>
    public string? Subject { get; init; }

    /// <summary>Target pattern (glob), e.g. <c>tickets__*</c>.</summary>
    public string? Target { get; init; }

    /// <summary>The outcomes <c>denied</c> stands for in a query: every refusal.</summary>
    public static readonly IReadOnlyList<string> DenialOutcomes = ["denied", "forbidden", "limited", "killed", "blocked", "approval-required"];

    /// <summary>Outcome: success, denied, … (<c>denied</c> also matches other refusals: forbidden, limited, killed, blocked).</summary>
    public string? Outcome { get; init; }

    /// <summary>Kind, e.g. <c>tools/call</c> or <c>admin:*</c>.</summary>
    public string? Kind { get; init; }

    /// <summary>Only records at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only records after this sequence number (paging).</summary>
    public long? AfterSeq { get; init; }

    /// <summary>At most this many records.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>The newest records (tail) instead of the oldest.</summary>
    public bool Newest { get; init; }
}
