using System.Net;
using YamlDotNet.Core;

namespace Portcullis.Configuration.Rules;

/// <summary>
/// Secure by default: a gateway that lets anonymous requests through may only listen on loopback, so nothing on the
/// network can reach upstream tools without an identity.
/// </summary>
internal sealed class ListenRule : IConfigRule
{
    public void Check(GatewayConfig config, IReadOnlyDictionary<string, Mark> lines, List<ConfigError> errors)
    {
        if (!Uri.TryCreate(config.Gateway.Listen, UriKind.Absolute, out var uri))
        {
            return;
        }

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        if (!loopback && config.Auth.AllowAnonymous)
        {
            errors.Add(lines, "gateway.listen", $"'{config.Gateway.Listen}' is not a loopback address; with auth.allowAnonymous the gateway only binds loopback (127.0.0.1, [::1], localhost)");
        }
    }
}
