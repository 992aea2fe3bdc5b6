namespace Portcullis.Configuration;

/// <summary>What the gateway does with a server's results before the agent sees them.</summary>
public sealed record InspectionConfig
{
    /// <summary>Text that tries to instruct the agent: annotate (default), block, or off.</summary>
    public string Injection { get; init; } = "annotate";

    /// <summary>Secrets in results: redact (default), block, or off.</summary>
    public string Secrets { get; init; } = "redact";

    /// <summary>Longest text a result may carry; longer text is truncated with a visible marker. Null for no limit.</summary>
    public int? MaxResultChars { get; init; }

    /// <summary>Per-tool overrides of <see cref="MaxResultChars"/>, by upstream tool name.</summary>
    public IReadOnlyDictionary<string, int> ToolMaxResultChars { get; init; } = new Dictionary<string, int>();
}
