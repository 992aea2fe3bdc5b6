using System.Text.Json;
using ModelContextProtocol;
using Portcullis.Upstreams;

namespace Portcullis.Registry;

/// <summary>Turns what a server offers into pins: every tool, prompt, resource template and the server's instructions.</summary>
public static class Pinning
{
    /// <summary>The pins of a catalog.</summary>
    public static IReadOnlyList<Pin> PinsOf(UpstreamCatalog catalog, string? instructions)
    {
        var options = McpJsonUtilities.DefaultOptions;
        var pins = new List<Pin>();
        foreach (var tool in catalog.Tools)
        {
            pins.Add(Make("tool", tool.Name, JsonSerializer.SerializeToElement(tool, options.GetTypeInfo(tool.GetType()))));
        }

        foreach (var prompt in catalog.Prompts)
        {
            pins.Add(Make("prompt", prompt.Name, JsonSerializer.SerializeToElement(prompt, options.GetTypeInfo(prompt.GetType()))));
        }

        foreach (var template in catalog.ResourceTemplates)
        {
            pins.Add(Make("resource-template", template.UriTemplate, JsonSerializer.SerializeToElement(template, options.GetTypeInfo(template.GetType()))));
        }

        if (!string.IsNullOrEmpty(instructions))
        {
            pins.Add(Make("instructions", "", JsonSerializer.SerializeToElement(instructions)));
        }

        return pins;
    }

    private static Pin Make(string kind, string name, JsonElement definition)
    {
        var canonical = CanonicalJson.Canonicalize(definition);
        return new Pin(kind, name, CanonicalJson.Hash(canonical), canonical);
    }
}
