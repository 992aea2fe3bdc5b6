namespace Portcullis.Configuration;

/// <summary>A named endpoint exposing a curated subset of tools from several servers, e.g. <c>/v/support/mcp</c>.</summary>
public sealed record VirtualServerConfig
{
    /// <summary>Path segment of the endpoint.</summary>
    public required string Id { get; init; }

    /// <summary>Human-readable description.</summary>
    public string? Description { get; init; }

    /// <summary>Namespaced tool names or globs (<c>tickets__list_*</c>, <c>memory__*</c>) the endpoint exposes.</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];
}
