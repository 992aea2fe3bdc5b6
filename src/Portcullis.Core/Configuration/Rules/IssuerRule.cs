using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>Issuers are unique and reached over HTTPS (plain HTTP only on loopback, for development and tests).</summary>
internal sealed class IssuerRule : IConfigRule
{
    public void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Auth.Issuers.Count; i++)
        {
            var issuer = config.Auth.Issuers[i];
            foreach (var (key, uri) in new[] { ("issuer", (Uri?)issuer.Issuer), ("jwksUri", issuer.JwksUri) })
            {
                if (uri is { IsAbsoluteUri: true } && uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback)
                {
                    errors.Add(lines, $"auth.issuers[{i}].{key}", $"'{uri}' must use https (plain http is accepted on loopback only)");
                }
            }

            if (!seen.Add(issuer.Issuer.ToString()))
            {
                errors.Add(lines, $"auth.issuers[{i}].issuer", $"issuer '{issuer.Issuer}' is declared twice");
            }
        }
    }
}
