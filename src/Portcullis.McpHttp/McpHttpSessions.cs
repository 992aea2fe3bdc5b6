using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portcullis.McpHttp;

/// <summary>
/// All live MCP sessions of the process, across endpoints. Closes sessions idle past the configured timeout and,
/// at shutdown, all of them. Owners learn of a session's end through <see cref="Closed"/>.
/// </summary>
public sealed partial class McpHttpSessions(IOptions<McpHttpOptions> options, ILogger<McpHttpSessions> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, McpHttpSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Raised once when a session ends, whatever ended it.</summary>
    public event Action<string>? Closed;

    /// <summary>Number of live sessions.</summary>
    public int Count => _sessions.Count;

    internal void Add(McpHttpSession session)
    {
        _sessions[session.Id] = session;
        session.Start(EndAsync);
    }

    /// <summary>Reports the end of a session that was never registered (a stateless request's).</summary>
    internal void NotifyClosed(string id) => Closed?.Invoke(id);

    internal bool TryGet(string id, [NotNullWhen(true)] out McpHttpSession? session) => _sessions.TryGetValue(id, out session);

    /// <summary>Closes a session; returns false when there was none with that id.</summary>
    public async ValueTask<bool> CloseAsync(string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return false;
        }

        await EndAsync(session).ConfigureAwait(false);
        return true;
    }

    /// <summary>Closes every session whose owner matches; returns how many were closed.</summary>
    public async ValueTask<int> CloseWhereAsync(Func<string?, bool> ownerMatches)
    {
        var matching = _sessions.Values.Where(s => ownerMatches(s.Owner)).ToList();
        await Task.WhenAll(matching.Select(EndAsync)).ConfigureAwait(false);
        return matching.Count;
    }

    private async Task EndAsync(McpHttpSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, McpHttpSession>(session.Id, session)))
        {
            await session.DisposeAsync().ConfigureAwait(false);
            Closed?.Invoke(session.Id);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(Math.Min(options.Value.SessionIdleTimeout.TotalSeconds, options.Value.SessionAbsoluteLifetime.TotalSeconds) / 4, 1, 30)));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var session in _sessions.Values)
                {
                    if (session.Idle > options.Value.SessionIdleTimeout || session.Age > options.Value.SessionAbsoluteLifetime)
                    {
                        LogExpired(session.Id);
                        await EndAsync(session).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_sessions.Values.Select(s => EndAsync(s))).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed MCP session {SessionId}: idle timeout or absolute lifetime passed")]
    private partial void LogExpired(string sessionId);
}
