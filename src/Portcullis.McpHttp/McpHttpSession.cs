using System.Diagnostics;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.McpHttp;

/// <summary>One live MCP session over HTTP: its transport, its server and the task running it.</summary>
internal sealed class McpHttpSession(string id, string endpointKey, string? owner, ITransport transport, McpServer server) : IAsyncDisposable
{
    private readonly long _createdAt = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _closing = new();
    private long _lastActivity = Stopwatch.GetTimestamp();
    private int _activeRequests;
    private int _disposed;
    private System.Collections.Concurrent.ConcurrentDictionary<RequestId, CancellationTokenSource>? _direct;

    public string Id { get; } = id;

    /// <summary>Base path of the endpoint that created the session; a session is only valid there.</summary>
    public string EndpointKey { get; } = endpointKey;

    /// <summary>Who opened the session; only the same owner may use it.</summary>
    public string? Owner { get; } = owner;

    public TimeSpan Age => Stopwatch.GetElapsedTime(_createdAt);

    public ITransport Transport { get; } = transport;

    public McpServer Server { get; } = server;

    public Task RunTask { get; private set; } = Task.CompletedTask;

    public CancellationToken Closing => _closing.Token;

    public TimeSpan Idle => Volatile.Read(ref _activeRequests) > 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

    public void Start(Func<McpHttpSession, Task> onEnded)
    {
        RunTask = Server.RunAsync(_closing.Token);
        _ = RunTask.ContinueWith(_ => onEnded(this), TaskScheduler.Default).Unwrap();
    }

    /// <summary>Marks a request in progress; dispose to end it.</summary>
    public ActiveRequest Enter()
    {
        Interlocked.Increment(ref _activeRequests);
        return new ActiveRequest(this);
    }

    /// <summary>Lets <c>notifications/cancelled</c> reach a directly answered request until disposed.</summary>
    public DirectRequest TrackDirect(RequestId id, CancellationTokenSource cancellation)
    {
        var direct = LazyInitializer.EnsureInitialized(ref _direct, () => new());
        direct[id] = cancellation;
        return new DirectRequest(direct, id);
    }

    /// <summary>Cancels the directly answered request a <c>notifications/cancelled</c> names, if one is running.</summary>
    public void CancelDirect(JsonRpcNotification notification)
    {
        if (_direct is { IsEmpty: false } direct
            && notification.Params is not null
            && System.Text.Json.JsonSerializer.Deserialize(notification.Params, ModelContextProtocol.McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CancelledNotificationParams))) is CancelledNotificationParams cancelled
            && direct.TryGetValue(cancelled.RequestId, out var cancellation))
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The request ended meanwhile.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        try
        {
            await Server.DisposeAsync().ConfigureAwait(false);
            await Transport.DisposeAsync().ConfigureAwait(false);
            await RunTask.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _closing.Dispose();
    }

    internal readonly struct DirectRequest(System.Collections.Concurrent.ConcurrentDictionary<RequestId, CancellationTokenSource> requests, RequestId id) : IDisposable
    {
        public void Dispose() => requests.TryRemove(id, out _);
    }

    internal readonly struct ActiveRequest(McpHttpSession session) : IDisposable
    {
        public void Dispose()
        {
            Volatile.Write(ref session._lastActivity, Stopwatch.GetTimestamp());
            Interlocked.Decrement(ref session._activeRequests);
        }
    }
}
