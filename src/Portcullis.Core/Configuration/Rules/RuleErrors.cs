using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

internal static class RuleErrors
{
    /// <summary>Adds an error located at <paramref name="key"/>'s line (or its parent's, when the key is absent).</summary>
    public static void Add(this List<ConfigError> errors, IReadOnlyDictionary<string, Mark> lines, string key, string message)
    {
        var probe = key;
        while (!lines.ContainsKey(probe) && probe.Length > 0)
        {
            var cut = Math.Max(probe.LastIndexOf('.'), probe.LastIndexOf('['));
            probe = cut > 0 ? probe[..cut] : "";
        }

        lines.TryGetValue(probe, out var mark);
        errors.Add(new ConfigError(key, (int)mark.Line, (int)mark.Column, message));
    }
}
