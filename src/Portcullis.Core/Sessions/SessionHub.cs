using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.Routing;
using Portcullis.Upstreams;

namespace Portcullis.Sessions;

/// <summary>
/// The live agent sessions, and the fan-out of what upstream servers announce: log messages to the calls in flight
/// on the server (at the level each session asked for), resource updates to the sessions subscribed to the URI, and
/// list-changed notifications when a server's catalog or the configuration changes.
/// </summary>
public sealed partial class SessionHub(ILogger<SessionHub> logger) : IDownstreamRouter
{
    private readonly ConcurrentDictionary<string, DownstreamSession> _sessions = new(StringComparer.Ordinal);
    private EndpointCatalog? _catalog;

    /// <summary>Number of live sessions.</summary>
    public int Count => _sessions.Count;

    /// <summary>Gives the hub the catalog it filters by (the two refer to each other through the pool).</summary>
    public void Bind(EndpointCatalog catalog) => _catalog = catalog;

    /// <summary>Adds a session.</summary>
    public void Add(DownstreamSession session) => _sessions[session.Id] = session;

    /// <summary>The live session with <paramref name="sessionId"/>, if any.</summary>
    public bool TryGet(string sessionId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DownstreamSession? session) =>
        _sessions.TryGetValue(sessionId, out session);

    /// <summary>Removes a session.</summary>
    public void Remove(string sessionId) => _sessions.TryRemove(sessionId, out _);

    /// <summary>Sessions whose endpoint includes <paramref name="serverId"/>.</summary>
    public IEnumerable<DownstreamSession> SessionsSeeing(string serverId)
    {
        foreach (var session in _sessions.Values)
        {
            if (session.IsAttached && _catalog?.Includes(session.View, serverId) == true)
            {
                yield return session;
            }
        }
    }

    /// <summary>The most verbose level any session seeing <paramref name="serverId"/> asked for.</summary>
    public LoggingLevel? MostVerboseLevel(string serverId) =>
        SessionsSeeing(serverId).Select(s => s.LogLevel).Where(l => l is not null).Min();

    /// <inheritdoc />
    public async ValueTask ForwardNotificationAsync(string serverId, JsonRpcNotification notification, CancellationToken cancellationToken)
    {
        // Only resource updates are forwarded this way, and only to the sessions subscribed to the resource.
        if (notification.Method != NotificationMethods.ResourceUpdatedNotification || ReadUri(notification) is not { } uri)
        {
            return;
        }

        foreach (var session in SessionsSeeing(serverId).Where(s => s.Subscriptions.ContainsKey(uri)))
        {
            await SendAsync(session.Id, session.Server, new JsonRpcNotification { Method = notification.Method, Params = notification.Params }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <inheritdoc />
    public async ValueTask ForwardLogAsync(string serverId, JsonRpcNotification notification, IReadOnlyList<InFlightCall> calls, CancellationToken cancellationToken)
    {
        var level = ReadLevel(notification);
        foreach (var call in calls.DistinctBy(c => c.Session.Id))
        {
            if (call.Session.LogLevel is null || level >= call.Session.LogLevel)
            {
                await SendAsync(call.Session.Id, call.Agent, new JsonRpcNotification { Method = notification.Method, Params = notification.Params }, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask CatalogChangedAsync(string serverId, CancellationToken cancellationToken)
    {
        foreach (var session in SessionsSeeing(serverId))
        {
            await NotifyListsChangedAsync(session, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a configuration reload: tells the sessions whose lists may have changed. Those are the aggregate and
    /// single-server sessions over an added, changed or removed server, and every virtual session (its patterns
    /// may have changed without any server changing).
    /// </summary>
    public async ValueTask NotifyAllListsChangedAsync(IReadOnlyCollection<string> changedServerIds, CancellationToken cancellationToken)
    {
        foreach (var session in _sessions.Values)
        {
            var affected = session.View switch
            {
                EndpointView.Virtual => true,
                EndpointView.Server single => changedServerIds.Contains(single.ServerId),
                _ => changedServerIds.Count > 0,
            };
            if (session.IsAttached && affected)
            {
                await NotifyListsChangedAsync(session, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask NotifyListsChangedAsync(DownstreamSession session, CancellationToken cancellationToken)
    {
        await SendAsync(session.Id, session.Server, new JsonRpcNotification { Method = NotificationMethods.ToolListChangedNotification }, cancellationToken).ConfigureAwait(false);
        if (session.View is not EndpointView.Virtual)
        {
            await SendAsync(session.Id, session.Server, new JsonRpcNotification { Method = NotificationMethods.PromptListChangedNotification }, cancellationToken).ConfigureAwait(false);
            await SendAsync(session.Id, session.Server, new JsonRpcNotification { Method = NotificationMethods.ResourceListChangedNotification }, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask SendAsync(string sessionId, McpServer server, JsonRpcNotification notification, CancellationToken cancellationToken)
    {
        try
        {
            await server.SendMessageAsync(notification, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A session that went away mid-send is cleaned up by its own transport; the others still get theirs.
            LogSendFailed(sessionId, notification.Method, ex.Message);
        }
    }

    private static string? ReadUri(JsonRpcNotification notification) =>
        (notification.Params as System.Text.Json.Nodes.JsonObject)?["uri"] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var uri) ? uri : null;

    /// <summary>The level of a log notification; an unreadable one counts as the most severe, so it is never filtered out.</summary>
    private static LoggingLevel ReadLevel(JsonRpcNotification notification) =>
        ((notification.Params as System.Text.Json.Nodes.JsonObject)?["level"] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var text) ? text : null) switch
        {
            "debug" => LoggingLevel.Debug,
            "info" => LoggingLevel.Info,
            "notice" => LoggingLevel.Notice,
            "warning" => LoggingLevel.Warning,
            "error" => LoggingLevel.Error,
            "critical" => LoggingLevel.Critical,
            "alert" => LoggingLevel.Alert,
            _ => LoggingLevel.Emergency,
        };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not send {Method} to session {SessionId}: {Reason}")]
    private partial void LogSendFailed(string sessionId, string method, string reason);
}
