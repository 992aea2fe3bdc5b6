namespace Portcullis.Audit;

/// <summary>
/// The evidence of one governed message or admin action. Records are chained: each carries the previous record's
/// hash and its own, computed over every other field, so any edit, deletion, insertion or reordering shows.
/// </summary>
public sealed record AuditRecord
{
    /// <summary>Position in the chain, from 1, without gaps.</summary>
    public long Seq { get; init; }

    /// <summary>When the action completed (UTC).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>What happened: <c>tools/call</c>, <c>resources/read</c>, <c>prompts/get</c>, <c>tools/list</c>…, or <c>admin:…</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>W3C trace id shared with the upstream request (<c>traceparent</c>).</summary>
    public string? TraceId { get; init; }

    /// <summary>Who acted: subject.</summary>
    public string? Subject { get; init; }

    /// <summary>The agent acting for the subject.</summary>
    public string? Agent { get; init; }

    /// <summary>Tenant of the subject.</summary>
    public string? Tenant { get; init; }

    /// <summary>Roles of the subject.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>How the subject authenticated.</summary>
    public string? AuthMethod { get; init; }

    /// <summary>Id of the credential used.</summary>
    public string? TokenId { get; init; }

    /// <summary>MCP session.</summary>
    public string? SessionId { get; init; }

    /// <summary>Upstream server.</summary>
    public string? ServerId { get; init; }

    /// <summary>The tool, prompt, resource URI, or the admin action's target, as named.</summary>
    public string? Target { get; init; }

    /// <summary>SHA-256 of the pinned definition of the tool at the time.</summary>
    public string? PinHash { get; init; }

    /// <summary>Arguments with secrets redacted (JSON).</summary>
    public string? Arguments { get; init; }

    /// <summary>SHA-256 of the full, unredacted arguments' canonical JSON.</summary>
    public string? ArgumentsHash { get; init; }

    /// <summary>Each pipeline stage's decision, in order: <c>stage: decision (detail) [ms]</c>.</summary>
    public IReadOnlyList<string> Stages { get; init; } = [];

    /// <summary>Policy rule that decided, if any.</summary>
    public string? PolicyRule { get; init; }

    /// <summary>Policy version in force.</summary>
    public string? PolicyVersion { get; init; }

    /// <summary><c>success</c>, <c>tool-error</c>, <c>denied</c>, <c>limited</c>, <c>unavailable</c>, <c>blocked</c>…</summary>
    public required string Outcome { get; init; }

    /// <summary>Why, when not a plain success.</summary>
    public string? Reason { get; init; }

    /// <summary>A size-bounded summary of the (inspected) result.</summary>
    public string? ResultSummary { get; init; }

    /// <summary>What inspection did to the result (redacted, truncated, annotated, blocked).</summary>
    public IReadOnlyList<string> Actions { get; init; } = [];

    /// <summary>End-to-end time spent, in milliseconds.</summary>
    public double LatencyMs { get; init; }

    /// <summary>Hash of the previous record (64 zeros for the first).</summary>
    public string PrevHash { get; init; } = "";

    /// <summary>SHA-256 over the previous hash and every field above.</summary>
    public string Hash { get; init; } = "";
}
