using System.Text.RegularExpressions;
using ModelContextProtocol.Protocol;
using Portcullis.Configuration;
using Portcullis.Upstreams;

namespace Portcullis.Routing;

/// <summary>
/// Resolves what an endpoint exposes against the configuration and connectors in force: the servers it spans, the
/// names it shows (<c>server__tool</c> except on a single-server endpoint) and which server answers a name or URI.
/// Names are never merged across servers: the prefix keeps two upstream tools of the same name apart.
/// </summary>
public sealed class EndpointCatalog(GatewayConfigProvider config, UpstreamPool pool)
{
    /// <summary>True when the endpoint exists in the configuration in force.</summary>
    public bool Exists(EndpointView view) => view switch
    {
        EndpointView.Server s => config.Current.FindServer(s.ServerId) is not null,
        EndpointView.Virtual v => config.Current.FindVirtualServer(v.VirtualServerId) is not null,
        _ => true,
    };

    /// <summary>The connectors behind an endpoint that <paramref name="principal"/> may reach.</summary>
    public IEnumerable<UpstreamConnector> Servers(EndpointView view, Identity.Principal principal) =>
        Servers(view).Where(c => principal.MayReach(c.Id));

    /// <summary>The connectors behind an endpoint.</summary>
    public IEnumerable<UpstreamConnector> Servers(EndpointView view)
    {
        switch (view)
        {
            case EndpointView.Server s:
                if (pool.Find(s.ServerId) is { } single)
                {
                    yield return single;
                }

                break;
            case EndpointView.Virtual v:
                var patterns = config.Current.FindVirtualServer(v.VirtualServerId)?.Tools ?? [];
                foreach (var connector in pool.All)
                {
                    if (patterns.Any(p => p.StartsWith(connector.Id + EndpointView.Separator, StringComparison.Ordinal)))
                    {
                        yield return connector;
                    }
                }

                break;
            default:
                foreach (var connector in pool.All)
                {
                    yield return connector;
                }

                break;
        }
    }

    /// <summary>True when <paramref name="serverId"/> is behind the endpoint.</summary>
    public bool Includes(EndpointView view, string serverId) => view switch
    {
        EndpointView.Server s => s.ServerId == serverId,
        EndpointView.Virtual v => config.Current.FindVirtualServer(v.VirtualServerId)?.Tools
            .Any(p => p.StartsWith(serverId + EndpointView.Separator, StringComparison.Ordinal)) == true,
        _ => config.Current.FindServer(serverId) is not null,
    };

    /// <summary>The name an upstream tool or prompt has on this endpoint.</summary>
    public static string Expose(EndpointView view, string serverId, string name) =>
        view is EndpointView.Server ? name : string.Concat(serverId, EndpointView.Separator, name);

    /// <summary>True when a virtual endpoint's patterns select the tool (other endpoints expose every tool).</summary>
    public bool ExposesTool(EndpointView view, string serverId, string toolName)
    {
        if (view is not EndpointView.Virtual v)
        {
            return true;
        }

        var exposed = string.Concat(serverId, EndpointView.Separator, toolName);
        return config.Current.FindVirtualServer(v.VirtualServerId)?.Tools.Any(p => Glob.IsMatch(p, exposed)) == true;
    }

    /// <summary>Splits an exposed tool or prompt name into its server and upstream name.</summary>
    public bool TryResolveName(EndpointView view, string exposedName, out UpstreamConnector? connector, out string upstreamName)
    {
        if (view is EndpointView.Server s)
        {
            connector = pool.Find(s.ServerId);
            upstreamName = exposedName;
            return connector is not null;
        }

        var separator = exposedName.IndexOf(EndpointView.Separator, StringComparison.Ordinal);
        if (separator <= 0)
        {
            connector = null;
            upstreamName = "";
            return false;
        }

        connector = pool.Find(exposedName[..separator]);
        upstreamName = exposedName[(separator + EndpointView.Separator.Length)..];
        return connector is not null && Includes(view, connector.Id);
    }

    /// <summary>The tools the endpoint shows, renamed for it.</summary>
    public List<Tool> ListTools(EndpointView view, Identity.Principal principal, Func<UpstreamConnector, Tool, bool>? visible = null)
    {
        var tools = new List<Tool>();
        foreach (var connector in Servers(view, principal))
        {
            foreach (var tool in connector.Catalog.Tools)
            {
                if (ExposesTool(view, connector.Id, tool.Name) && visible?.Invoke(connector, tool) != false)
                {
                    tools.Add(view is EndpointView.Server ? tool : Rename(tool, Expose(view, connector.Id, tool.Name)));
                }
            }
        }

        return tools;
    }

    /// <summary>The prompts the endpoint shows, renamed for it. Virtual endpoints curate tools only.</summary>
    public List<Prompt> ListPrompts(EndpointView view, Identity.Principal principal, Func<UpstreamConnector, Prompt, bool>? visible = null)
    {
        var prompts = new List<Prompt>();
        if (view is EndpointView.Virtual)
        {
            return prompts;
        }

        foreach (var connector in Servers(view, principal))
        {
            foreach (var prompt in connector.Catalog.Prompts.Where(p => visible?.Invoke(connector, p) != false))
            {
                prompts.Add(view is EndpointView.Server ? prompt : new Prompt
                {
                    Name = Expose(view, connector.Id, prompt.Name),
                    Title = prompt.Title,
                    Description = prompt.Description,
                    Arguments = prompt.Arguments,
                    Icons = prompt.Icons,
                    Meta = prompt.Meta,
                });
            }
        }

        return prompts;
    }

    /// <summary>
    /// Resources keep their URIs (agents and servers both depend on them), so an aggregate endpoint shows each URI
    /// once: the first server listing it owns it.
    /// </summary>
    public List<Resource> ListResources(EndpointView view, Identity.Principal principal, Func<UpstreamConnector, Resource, bool>? visible = null)
    {
        var resources = new List<Resource>();
        if (view is EndpointView.Virtual)
        {
            return resources;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var connector in Servers(view, principal))
        {
            foreach (var resource in connector.Catalog.Resources)
            {
                if (visible?.Invoke(connector, resource) != false && seen.Add(resource.Uri))
                {
                    resources.Add(resource);
                }
            }
        }

        return resources;
    }

    /// <summary>Resource templates of the endpoint's servers.</summary>
    public List<ResourceTemplate> ListResourceTemplates(EndpointView view, Identity.Principal principal) =>
        view is EndpointView.Virtual ? [] : Servers(view, principal).SelectMany(c => c.Catalog.ResourceTemplates).ToList();

    /// <summary>Finds the server that answers a resource URI: by listed resource, then by template, then the only server offering resources.</summary>
    public UpstreamConnector? ResolveResource(EndpointView view, string uri)
    {
        if (view is EndpointView.Virtual)
        {
            return null;
        }

        var servers = Servers(view).ToList();
        if (view is EndpointView.Server)
        {
            return servers.FirstOrDefault();
        }

        return servers.FirstOrDefault(c => c.Catalog.Resources.Any(r => r.Uri == uri))
            ?? servers.FirstOrDefault(c => c.Catalog.ResourceTemplates.Any(t => TemplateMatches(t.UriTemplate, uri)))
            ?? (servers.Count(c => c.Capabilities?.Resources is not null) == 1 ? servers.First(c => c.Capabilities?.Resources is not null) : null);
    }

    private static bool TemplateMatches(string template, string uri)
    {
        // RFC 6570 level-1 expressions are enough to tell servers apart by URI shape.
        var pattern = "^" + Regex.Replace(Regex.Escape(template), @"\\\{[^}]*}", "[^/]+") + "$";
        return Regex.IsMatch(uri, pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
    }

    private static Tool Rename(Tool tool, string name) => new()
    {
        Name = name,
        Title = tool.Title,
        Description = tool.Description,
        InputSchema = tool.InputSchema,
        OutputSchema = tool.OutputSchema,
        Annotations = tool.Annotations,
        Icons = tool.Icons,
        Meta = tool.Meta,
    };
}
