using ModelContextProtocol.Protocol;

namespace Portcullis.Upstreams;

/// <summary>What one upstream server offers, as last listed. Immutable; replaced whole on refresh.</summary>
public sealed record UpstreamCatalog(
    IReadOnlyList<Tool> Tools,
    IReadOnlyList<Resource> Resources,
    IReadOnlyList<ResourceTemplate> ResourceTemplates,
    IReadOnlyList<Prompt> Prompts)
{
    /// <summary>The catalog of a server that offers nothing (or is not connected).</summary>
    public static readonly UpstreamCatalog Empty = new([], [], [], []);

    /// <summary>Finds a tool by its upstream name.</summary>
    public Tool? FindTool(string name)
    {
        foreach (var tool in Tools)
        {
            if (string.Equals(tool.Name, name, StringComparison.Ordinal))
            {
                return tool;
            }
        }

        return null;
    }
}
