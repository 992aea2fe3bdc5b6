using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>Each transport has the settings it needs and none that belong to another transport.</summary>
internal sealed class ServerTransportRule : IConfigRule
{
    public void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        for (var i = 0; i < config.Servers.Count; i++)
        {
            var server = config.Servers[i];
            var path = $"servers[{i}]";
            if (server.Transport == ServerTransport.Stdio)
            {
                if (string.IsNullOrWhiteSpace(server.Command))
                {
                    errors.Add(lines, path + ".command", "a stdio server needs a command");
                }

                if (server.Url is not null)
                {
                    errors.Add(lines, path + ".url", "a stdio server has no url; set transport: http or sse for a remote server");
                }

                if (server.Headers.Count > 0)
                {
                    errors.Add(lines, path + ".headers", "headers apply to http and sse servers only");
                }
            }
            else
            {
                if (server.Url is null)
                {
                    errors.Add(lines, path + ".url", $"a {server.Transport.ToString().ToLowerInvariant()} server needs a url");
                }

                foreach (var (key, present) in new[] { ("command", server.Command is not null), ("args", server.Args.Count > 0), ("env", server.Env.Count > 0), ("cwd", server.WorkingDirectory is not null) })
                {
                    if (present)
                    {
                        errors.Add(lines, $"{path}.{key}", "applies to stdio servers only");
                    }
                }
            }
        }
    }
}
