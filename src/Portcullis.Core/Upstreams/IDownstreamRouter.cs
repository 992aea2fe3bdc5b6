using ModelContextProtocol.Protocol;

namespace Portcullis.Upstreams;

/// <summary>
/// What a connector needs from the sessions in front of it: where to send the notifications its server emits, and
/// which agent session should answer a request its server makes (sampling, elicitation, roots).
/// </summary>
public interface IDownstreamRouter
{
    /// <summary>Delivers a notification from <paramref name="serverId"/> to the sessions that should see it.</summary>
    ValueTask ForwardNotificationAsync(string serverId, JsonRpcNotification notification, CancellationToken cancellationToken);

    /// <summary>Delivers a log message from <paramref name="serverId"/> to the calls in flight there, at the level each session asked for.</summary>
    ValueTask ForwardLogAsync(string serverId, JsonRpcNotification notification, IReadOnlyList<InFlightCall> calls, CancellationToken cancellationToken);

    /// <summary>Tells sessions that see <paramref name="serverId"/> that its tools, resources or prompts changed.</summary>
    ValueTask CatalogChangedAsync(string serverId, CancellationToken cancellationToken);
}
