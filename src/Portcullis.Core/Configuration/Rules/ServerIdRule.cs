using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>
/// Server ids are required, unique, and safe as a tool-name prefix: <c>id__tool</c> must fit every major client's
/// function-name rules (<c>^[a-zA-Z0-9_-]{1,64}$</c>), and no id may contain the <c>__</c> separator, so an exposed
/// name always splits back into exactly one server and tool.
/// </summary>
internal sealed partial class ServerIdRule : IConfigRule
{
    public void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < config.Servers.Count; i++)
        {
            var id = config.Servers[i].Id;
            var key = $"servers[{i}].id";
            if (string.IsNullOrEmpty(id))
            {
                errors.Add(lines, key, "every server needs an id");
            }
            else if (!IdPattern().IsMatch(id) || id.Contains("__", StringComparison.Ordinal))
            {
                errors.Add(lines, key, $"'{id}' is not a valid id: use 1-32 of a-z, 0-9, '-' and single '_', starting with a letter or digit");
            }
            else if (seen.TryGetValue(id, out var first))
            {
                errors.Add(lines, key, $"duplicate server id '{id}' (first declared at servers[{first}])");
            }
            else
            {
                seen[id] = i;
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    internal static partial Regex IdPattern();
}
