using Portcullis.Configuration.Rules;

namespace Portcullis.Configuration;

/// <summary>The validation rules run on every configuration, in order.</summary>
internal static class ConfigRules
{
    public static readonly IReadOnlyList<IConfigRule> All =
    [
        new ListenRule(),
        new ServerIdRule(),
        new ServerTransportRule(),
        new VirtualServerRule(),
        new IssuerRule(),
        new PolicyRuleRule(),
    ];
}
