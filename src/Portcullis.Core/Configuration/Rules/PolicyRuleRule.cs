using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>Policy rules have unique ids, say whom and what they cover, name declared servers and valid patterns; limits are unique.</summary>
internal sealed class PolicyRuleRule : IConfigRule
{
    public void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Policy.Rules.Count; i++)
        {
            var rule = config.Policy.Rules[i];
            var path = $"policy.rules[{i}]";
            if (string.IsNullOrWhiteSpace(rule.Id))
            {
                errors.Add(lines, path + ".id", "every rule needs an id (decisions quote it)");
            }
            else if (!ids.Add(rule.Id))
            {
                errors.Add(lines, path + ".id", $"duplicate rule id '{rule.Id}'");
            }

            if (rule.Roles.Count == 0)
            {
                errors.Add(lines, path + ".roles", "list the roles the rule is for, or \"*\" for every authenticated principal");
            }

            if (rule.Tools.Count + rule.Prompts.Count + rule.Resources.Count == 0)
            {
                errors.Add(lines, path + ".tools", "a rule must cover tools, prompts or resources");
            }

            foreach (var (key, patterns) in new[] { ("tools", rule.Tools), ("prompts", rule.Prompts), ("resources", rule.Resources) })
            {
                for (var p = 0; p < patterns.Count; p++)
                {
                    CheckPattern(config, patterns[p], $"{path}.{key}[{p}]", lines, errors);
                }
            }

            if (rule.Effect == Policy.PolicyEffect.Deny && (rule.Arguments.Count + rule.Require.Count + rule.Forbid.Count) > 0)
            {
                errors.Add(lines, path + ".arguments", "argument rules narrow what an allow or approve rule grants; a deny rule denies whatever the arguments");
            }

            foreach (var virtualServer in rule.VirtualServers ?? [])
            {
                if (config.FindVirtualServer(virtualServer) is null)
                {
                    errors.Add(lines, path + ".virtualServers", $"virtual server '{virtualServer}' is not declared");
                }
            }

            foreach (var (name, constraint) in rule.Arguments)
            {
                if (constraint.Pattern is { } pattern && !IsValidRegex(pattern))
                {
                    errors.Add(lines, $"{path}.arguments.{name}.pattern", $"'{pattern}' is not a valid regular expression");
                }

                if (constraint.Min > constraint.Max)
                {
                    errors.Add(lines, $"{path}.arguments.{name}.min", "min is greater than max");
                }
            }
        }

        var limitIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Policy.Limits.Count; i++)
        {
            var limit = config.Policy.Limits[i];
            if (string.IsNullOrWhiteSpace(limit.Id) || !limitIds.Add(limit.Id))
            {
                errors.Add(lines, $"policy.limits[{i}].id", string.IsNullOrWhiteSpace(limit.Id) ? "every limit needs an id (its counters are kept under it)" : $"duplicate limit id '{limit.Id}'");
            }

            if (limit.Permits <= 0)
            {
                errors.Add(lines, $"policy.limits[{i}].rate", "a limit needs a rate such as 60/m");
            }
        }
    }

    /// <summary>A pattern is <c>server__name</c>; the server part may be a glob, but a literal one must be declared.</summary>
    private static void CheckPattern(GatewayConfig config, string pattern, string key, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        if (pattern == "*")
        {
            return;
        }

        var separator = pattern.IndexOf("__", StringComparison.Ordinal);
        if (separator <= 0)
        {
            errors.Add(lines, key, $"'{pattern}' must have the form server__name (either part may use * and ?), or be \"*\"");
            return;
        }

        var server = pattern[..separator];
        if (!server.Contains('*') && !server.Contains('?') && config.FindServer(server) is null)
        {
            errors.Add(lines, key, $"'{pattern}' names server '{server}', which is not declared under servers");
        }
    }

    private static bool IsValidRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
