using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>One validation rule over a mapped configuration; adds an error per violation.</summary>
internal interface IConfigRule
{
    void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors);
}
