using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.Upstreams;

/// <summary>
/// Maps the progress tokens the gateway puts on upstream requests back to the agent session and token they stand for.
/// Tokens are the gateway's own, so one agent cannot address another's progress stream.
/// </summary>
internal sealed class ProgressRoutes
{
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo ParamsType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(ProgressNotificationParams));
    private readonly ConcurrentDictionary<string, (McpServer Session, ProgressToken Token)> _routes = new(StringComparer.Ordinal);
    private long _next;

    /// <summary>Routes upstream progress on the returned token to <paramref name="agentToken"/> of <paramref name="session"/> until disposed.</summary>
    public Route Register(McpServer session, ProgressToken agentToken)
    {
        var token = "portcullis-" + Interlocked.Increment(ref _next).ToString(CultureInfo.InvariantCulture);
        _routes[token] = (session, agentToken);
        return new Route(this, token);
    }

    /// <summary>Relays a progress notification if it carries one of our tokens; null when it is not ours.</summary>
    public Task? TryRelay(JsonRpcNotification notification)
    {
        if (notification.Params is null
            || JsonSerializer.Deserialize(notification.Params, ParamsType) is not ProgressNotificationParams progress
            || progress.ProgressToken.Token is not string token
            || !_routes.TryGetValue(token, out var route))
        {
            return null;
        }

        return RelayAsync(route.Session, route.Token, progress.Progress);
    }

    private static async Task RelayAsync(McpServer session, ProgressToken token, ProgressNotificationValue value)
    {
        try
        {
            await session.NotifyProgressAsync(token, value).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The agent went away; progress is advisory and losing it must not break the upstream connection.
        }
    }

    /// <summary>One registered route.</summary>
    public readonly struct Route(ProgressRoutes owner, string token) : IDisposable
    {
        /// <summary>The token to send upstream.</summary>
        public string Token => token;

        /// <inheritdoc />
        public void Dispose() => owner?._routes.TryRemove(token, out _);
    }
}
