using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>Virtual servers have unique valid ids and select tools of declared servers by <c>server__tool</c> pattern.</summary>
internal sealed class VirtualServerRule : IConfigRule
{
    public void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.VirtualServers.Count; i++)
        {
            var virtualServer = config.VirtualServers[i];
            var path = $"virtualServers[{i}]";
            if (!ServerIdRule.IdPattern().IsMatch(virtualServer.Id))
            {
                errors.Add(lines, path + ".id", $"'{virtualServer.Id}' is not a valid id: use 1-32 of a-z, 0-9, '-', '_'");
            }
            else if (!seen.Add(virtualServer.Id))
            {
                errors.Add(lines, path + ".id", $"duplicate virtual server id '{virtualServer.Id}'");
            }

            if (virtualServer.Tools.Count == 0)
            {
                errors.Add(lines, path + ".tools", "list at least one tool pattern such as tickets__list_*");
            }

            for (var t = 0; t < virtualServer.Tools.Count; t++)
            {
                var pattern = virtualServer.Tools[t];
                var separator = pattern.IndexOf("__", StringComparison.Ordinal);
                var serverId = separator > 0 ? pattern[..separator] : "";
                if (separator <= 0 || separator + 2 >= pattern.Length)
                {
                    errors.Add(lines, $"{path}.tools[{t}]", $"'{pattern}' must have the form server__tool (the tool part may use * and ?)");
                }
                else if (config.FindServer(serverId) is null)
                {
                    errors.Add(lines, $"{path}.tools[{t}]", $"'{pattern}' names server '{serverId}', which is not declared under servers");
                }
            }
        }
    }
}
