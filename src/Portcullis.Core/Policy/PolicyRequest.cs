using System.Text.Json;
using ModelContextProtocol.Protocol;
using Portcullis.Identity;

namespace Portcullis.Policy;

/// <summary>Everything a decision depends on.</summary>
public sealed record PolicyRequest
{
    /// <summary>Who asks.</summary>
    public required Principal Principal { get; init; }

    /// <summary>Tool, prompt or resource.</summary>
    public PolicyTarget Target { get; init; } = PolicyTarget.Tool;

    /// <summary>The server that owns the item.</summary>
    public required string ServerId { get; init; }

    /// <summary>The item's name on that server (a resource's URI).</summary>
    public required string Name { get; init; }

    /// <summary>The virtual server the request came through, if any.</summary>
    public string? VirtualServer { get; init; }

    /// <summary>The environment of the server.</summary>
    public string? Environment { get; init; }

    /// <summary>The call's arguments (null for a visibility question, which ignores argument rules).</summary>
    public IDictionary<string, JsonElement>? Arguments { get; init; }

    /// <summary>The tool's MCP annotations; they may only make the risk class stricter.</summary>
    public ToolAnnotations? Annotations { get; init; }

    /// <summary>The instant the decision is for.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The namespaced name rules match against (<c>server__name</c>).</summary>
    public string QualifiedName => field ??= string.Concat(ServerId, "__", Name);
}
