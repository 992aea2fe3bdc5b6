using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.Configuration;

namespace Portcullis.Upstreams;

/// <summary>
/// The gateway's one connection to one upstream server, on the SDK's <see cref="McpClient"/>. A supervisor loop
/// connects, keeps the server's catalog current, and reconnects with exponential backoff when the connection drops
/// (for stdio: when the process dies). Requests never wait out a backoff: while the server is down they fail at
/// once with an error naming the server, and nothing is retried on the caller's behalf.
/// </summary>
public sealed partial class UpstreamConnector : IAsyncDisposable
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StableUptime = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan MemberIdleTimeout = TimeSpan.FromMinutes(15);

    private readonly UpstreamHost _host;
    private readonly string? _memberKey;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, UpstreamConnector> _members = new(StringComparer.Ordinal);
    private readonly Lock _membersLock = new();
    private long _lastUsed = Stopwatch.GetTimestamp();
    private long _lastSweep = Stopwatch.GetTimestamp();
    private readonly IDownstreamRouter _router;
    private readonly Secrets.SecretReferences? _secrets;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly InFlightCalls _inFlight = new();
    private readonly ProgressRoutes _progress = new();
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private TaskCompletionSource<McpClient> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private McpClient? _client;
    private UpstreamTransport.Session? _transport;
    private Task _supervisor = Task.CompletedTask;
    private string _downReason = "not started";
    private int _restarts;
    private volatile UpstreamState _state = UpstreamState.Connecting;
    private TaskCompletionSource _stateChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a connector; call <see cref="Start"/> to connect.</summary>
    /// <param name="memberKey">For a server that acts with each member's own credential: the member this connection is for (null: the shared connection, which lists the catalog without any member credential).</param>
    public UpstreamConnector(ServerConfig config, UpstreamHost host, IDownstreamRouter router, ILoggerFactory loggerFactory, Secrets.SecretReferences? secrets = null, string? memberKey = null)
    {
        _secrets = secrets;
        _memberKey = memberKey;
        MemberCredentials = Secrets.SecretReferences.MemberCredentialsOf(config);
        Config = config;
        _host = host;
        _router = router;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Portcullis.Upstreams." + config.Id);
    }

    /// <summary>The settings this connector was built from.</summary>
    public ServerConfig Config { get; }

    /// <summary>Server id.</summary>
    public string Id => Config.Id;

    /// <summary>Names of the per-member credentials the server acts with; empty when every member shares one connection.</summary>
    public IReadOnlyList<string> MemberCredentials { get; }

    /// <summary>Member connections open now (servers that act with each member's own credential).</summary>
    public int MemberConnections => _members.Count;

    /// <summary>The key under which a principal's own credentials are stored: issuer and subject, so equal subjects of two issuers stay apart.</summary>
    public static string MemberKeyOf(Identity.Principal principal) => principal.Issuer + "/" + principal.Subject;

    /// <summary>
    /// The connection a call of <paramref name="principal"/> goes through: this one, or for a server that acts with
    /// each member's own credential, that member's own connection (opened on first use, closed after being idle).
    /// A member without the credential gets <see cref="UpstreamUnavailableException"/> saying how to store it.
    /// </summary>
    public async ValueTask<UpstreamConnector> ForPrincipalAsync(Identity.Principal principal, CancellationToken cancellationToken)
    {
        if (MemberCredentials.Count == 0 || _memberKey is not null)
        {
            return this;
        }

        SweepIdleMembers();
        var key = MemberKeyOf(principal);
        if (_members.TryGetValue(key, out var existing))
        {
            Volatile.Write(ref existing._lastUsed, Stopwatch.GetTimestamp());
            return existing;
        }

        foreach (var name in MemberCredentials)
        {
            if (_secrets is null || await _secrets.Store.GetAsync(Secrets.SecretReferences.MemberSecretName(key, name), cancellationToken).ConfigureAwait(false) is null)
            {
                throw new UpstreamUnavailableException(Id, Secrets.SecretReferences.MissingMemberCredential(name));
            }
        }

        lock (_membersLock)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            if (!_members.TryGetValue(key, out existing))
            {
                existing = new UpstreamConnector(Config, _host, _router, _loggerFactory, _secrets, key);
                _members[key] = existing;
                existing.Start();
            }
        }

        return existing;
    }

    /// <summary>Closes the member's own connection (after their credential changed or was deleted); the next call opens a fresh one.</summary>
    public async Task ForgetMemberAsync(string memberKey)
    {
        if (_members.TryRemove(memberKey, out var member))
        {
            await member.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void SweepIdleMembers()
    {
        var now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(Volatile.Read(ref _lastSweep), now) < TimeSpan.FromMinutes(1))
        {
            return;
        }

        Volatile.Write(ref _lastSweep, now);
        foreach (var (key, member) in _members)
        {
            if (Stopwatch.GetElapsedTime(Volatile.Read(ref member._lastUsed), now) > MemberIdleTimeout)
            {
                _ = ForgetMemberAsync(key);
            }
        }
    }

    /// <summary>Connection state.</summary>
    public UpstreamState State
    {
        get => _state;
        private set
        {
            _state = value;
            Interlocked.Exchange(ref _stateChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    /// <summary>What the server offered when last listed; empty while it has never connected.</summary>
    public UpstreamCatalog Catalog { get; private set; } = UpstreamCatalog.Empty;

    /// <summary>What the server announced about itself at initialization, if it has connected.</summary>
    public ServerCapabilities? Capabilities { get; private set; }

    /// <summary>The server's instructions, as announced at initialization.</summary>
    public string? Instructions { get; private set; }

    /// <summary>How many times the supervisor has reconnected after a loss.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>Why the server is down, when it is.</summary>
    public string DownReason => _downReason;

    /// <summary>Completes when the connector is in <paramref name="state"/> (at once if it already is).</summary>
    public async Task WaitForStateAsync(UpstreamState state, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _stateChanged).Task;
            if (State == state)
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the supervisor loop.</summary>
    public void Start() => _supervisor = Task.Run(SuperviseAsync);

    /// <summary>
    /// Returns the live client. Waits while a connection attempt is under way (up to the connect timeout); throws
    /// <see cref="UpstreamUnavailableException"/> at once while the server is down.
    /// </summary>
    public async ValueTask<McpClient> GetClientAsync(CancellationToken cancellationToken)
    {
        var client = Volatile.Read(ref _client);
        if (client is not null && State == UpstreamState.Ready)
        {
            return client;
        }

        switch (State)
        {
            case UpstreamState.Down:
                throw new UpstreamUnavailableException(Id, _downReason + "; the gateway is reconnecting, retry shortly");
            case UpstreamState.Stopped:
                throw new UpstreamUnavailableException(Id, "the server has been removed or the gateway is stopping");
        }

        try
        {
            return await Volatile.Read(ref _ready).Task.WaitAsync(Config.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new UpstreamUnavailableException(Id, $"it did not finish connecting within {Config.ConnectTimeout.TotalSeconds:0.#}s");
        }
    }

    /// <summary>
    /// Marks <paramref name="session"/> as having a call in flight on this connection, so requests the server makes
    /// meanwhile (sampling, elicitation, roots) go back to it. Dispose the result when the call ends.
    /// </summary>
    internal InFlightCalls.Registration TrackCall(McpServer agent, Sessions.DownstreamSession session) => _inFlight.Track(agent, session);

    /// <summary>
    /// Sends a governed request on <paramref name="client"/>'s connection and returns the server's result as
    /// <paramref name="resultType"/>; a JSON-RPC error comes back as <see cref="McpProtocolException"/>, a connection
    /// closed under the request as cancellation.
    /// </summary>
    internal async Task<TResult> SendRequestAsync<TResult>(McpClient client, JsonRpcRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        var transport = Volatile.Read(ref _transport);
        if (transport is null || !ReferenceEquals(client, Volatile.Read(ref _client)))
        {
            // A client from before a reconnect: its own request path still works, and fails as the SDK fails it.
            return UpstreamTransport.Session.ResultOf(await client.SendRequestAsync(request, cancellationToken).ConfigureAwait(false), request.Method, resultType);
        }

        return await transport.SendRequestAsync(request, client.NegotiatedProtocolVersion, resultType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Routes the server's progress on the returned token to the agent's <paramref name="agentToken"/> until disposed.</summary>
    internal ProgressRoutes.Route RouteProgress(McpServer session, ProgressToken agentToken) => _progress.Register(session, agentToken);

    private async Task SuperviseAsync()
    {
        var stopping = _stopping.Token;
        var attempt = 0;
        while (!stopping.IsCancellationRequested)
        {
            if (Volatile.Read(ref _ready).Task.IsCompleted)
            {
                Volatile.Write(ref _ready, new TaskCompletionSource<McpClient>(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            State = UpstreamState.Connecting;
            string reason;
            McpClient? client = null;
            var connectedAt = 0L;
            try
            {
                using (var connectCts = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    connectCts.CancelAfter(Config.ConnectTimeout);
                    var transport = await CreateTransportAsync(connectCts.Token).ConfigureAwait(false);
                    client = await McpClient.CreateAsync(transport, CreateClientOptions(), _loggerFactory, connectCts.Token).ConfigureAwait(false);
                    Volatile.Write(ref _transport, transport.Connected);
                    Capabilities = client.ServerCapabilities;
                    Instructions = client.ServerInstructions;
                    Catalog = await ListCatalogAsync(client, connectCts.Token).ConfigureAwait(false);
                }

                connectedAt = Stopwatch.GetTimestamp();
                Volatile.Write(ref _client, client);
                State = UpstreamState.Ready;
                Volatile.Read(ref _ready).TrySetResult(client);
                LogConnected(Id, Catalog.Tools.Count, attempt);
                if (_memberKey is null)
                {
                    // Sessions list the shared connection's catalog; a member's own connection changes nothing they see.
                    await _router.CatalogChangedAsync(Id, stopping).ConfigureAwait(false);
                }

                var completion = await client.Completion.WaitAsync(stopping).ConfigureAwait(false);
                reason = Describe(completion);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException)
            {
                reason = $"it did not finish connecting within {Config.ConnectTimeout.TotalSeconds:0.#}s";
            }
            catch (Secrets.SecretUnavailableException ex)
            {
                reason = ex.Message;
            }
            catch (Exception ex)
            {
                reason = ex is McpException or IOException or System.Net.Http.HttpRequestException or InvalidOperationException or System.ComponentModel.Win32Exception
                    ? ex.Message
                    : ex.GetType().Name + ": " + ex.Message;
            }
            finally
            {
                Volatile.Write(ref _client, null);
                Volatile.Write(ref _transport, null);
                if (client is not null)
                {
                    await DisposeQuietlyAsync(client).ConfigureAwait(false);
                }
            }

            if (stopping.IsCancellationRequested)
            {
                break;
            }

            if (connectedAt != 0 && Stopwatch.GetElapsedTime(connectedAt) > StableUptime)
            {
                attempt = 0;
            }

            var delay = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << Math.Min(attempt, 16)));
            attempt++;
            _downReason = reason;
            State = UpstreamState.Down;
            Volatile.Read(ref _ready).TrySetException(new UpstreamUnavailableException(Id, reason));
            LogDown(Id, reason, delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Interlocked.Increment(ref _restarts);
        }

        State = UpstreamState.Stopped;
        Volatile.Read(ref _ready).TrySetException(new UpstreamUnavailableException(Id, "the server has been removed or the gateway is stopping"));
    }

    private string Describe(ClientCompletionDetails completion) => completion switch
    {
        StdioClientCompletionDetails { ExitCode: { } code } stdio =>
            $"its process exited with code {code}" + (stdio.StandardErrorTail is { Count: > 0 } tail ? $" (last stderr: {tail[^1]})" : ""),
        { Exception: { } ex } => "the connection was lost: " + ex.Message,
        _ => Config.Transport == ServerTransport.Stdio ? "its process exited" : "the connection was closed",
    };

    /// <summary>Resolves secret references in env and headers (at connect time, so rotation applies on reconnect).</summary>
    /// <remarks>A setting that needs a member credential is left out of the shared connection.</remarks>
    private async Task<Dictionary<string, string>> ResolveAsync(IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, string>(values.Count, StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if ((_secrets is null ? value : await _secrets.ResolveAsync(value, _memberKey, cancellationToken).ConfigureAwait(false)) is { } result)
            {
                resolved[name] = result;
            }
        }

        return resolved;
    }

    private async Task<UpstreamTransport> CreateTransportAsync(CancellationToken cancellationToken)
    {
        if (Config.Transport == ServerTransport.Stdio)
        {
            var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var name in Config.InheritEnvironment)
            {
                if (Environment.GetEnvironmentVariable(name) is { } value)
                {
                    environment[name] = value;
                }
            }

            foreach (var (name, value) in await ResolveAsync(Config.Env, cancellationToken).ConfigureAwait(false))
            {
                environment[name] = value;
            }

            if (ProcessIsolation.Unavailable(Config) is { } refusal)
            {
                throw new InvalidOperationException(refusal);
            }

            var workingDirectory = WorkingDirectory();
            if (Config.Isolation.ReadOnlyFilesystem)
            {
                // The only writable place: temporary files go there too.
                environment["TMPDIR"] = Directory.CreateDirectory(Path.Combine(workingDirectory, ".tmp")).FullName;
            }

            var (command, arguments) = ProcessIsolation.Wrap(
                Config.Isolation,
                ResolvePath(Config.Command!, onlyIfRelativePath: true),
                [.. Config.Args.Select(a => a.StartsWith("./", StringComparison.Ordinal) || a.StartsWith("../", StringComparison.Ordinal) ? ResolvePath(a, onlyIfRelativePath: false) : a)],
                workingDirectory,
                _host);
            return new UpstreamTransport(new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = Id,
                Command = command,
                Arguments = arguments,
                WorkingDirectory = workingDirectory,
                InheritEnvironmentVariables = false,
                EnvironmentVariables = environment,
                ShutdownTimeout = TimeSpan.FromSeconds(5),
                StandardErrorLines = line => LogStderr(Id, line),
            }, _loggerFactory), _progress, ForwardLogAsync);
        }

        var headers = new Dictionary<string, string>(await ResolveAsync(Config.Headers, cancellationToken).ConfigureAwait(false), StringComparer.OrdinalIgnoreCase);
        var options = new HttpClientTransportOptions
        {
            Name = Id,
            Endpoint = Config.Url!,
            TransportMode = Config.Transport == ServerTransport.Sse ? HttpTransportMode.Sse : HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
            ConnectionTimeout = Config.ConnectTimeout,
        };
        // One connection pool for the SDK's requests and the governed calls that skip it. No HttpClient activity per
        // request (a child of ASP.NET Core's, started only to put a traceparent header on the wire): governed calls
        // carry the call's own traceparent, the one in their _meta and audit record.
        var http = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null });
        var calls = Config.Transport == ServerTransport.Sse ? null : new StreamableHttpCalls(http, options.Endpoint, headers, options.MaxReconnectionAttempts, options.DefaultReconnectionInterval);
        return new UpstreamTransport(new HttpClientTransport(options, http, _loggerFactory, ownsHttpClient: true), _progress, ForwardLogAsync, calls);
    }

    /// <summary>
    /// The declared working directory, else one of the server's own under the gateway's data directory (and within it
    /// one per member, so members' files stay apart), created private to the gateway's user.
    /// </summary>
    private string WorkingDirectory()
    {
        if (Config.WorkingDirectory is { } declared)
        {
            return ResolvePath(declared, onlyIfRelativePath: false);
        }

        var directory = Path.Combine(_host.DataDirectory, "servers", Id);
        if (_memberKey is not null)
        {
            directory = Path.Combine(directory, "members", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(_memberKey)))[..16]);
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return directory;
    }

    /// <summary>A bare command name (<c>node</c>) is left for PATH lookup; a relative path is anchored at the config file.</summary>
    private string ResolvePath(string path, bool onlyIfRelativePath)
    {
        if (Path.IsPathRooted(path) || (onlyIfRelativePath && !path.Contains('/') && !path.Contains('\\')))
        {
            return path;
        }

        return Path.GetFullPath(Path.Combine(_host.BaseDirectory, path));
    }

    private McpClientOptions CreateClientOptions() => new()
    {
        ClientInfo = new Implementation { Name = "portcullis", Version = typeof(UpstreamConnector).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" },
        // Speak the initialize handshake: every upstream we proxy understands it, and the probe for the
        // sessionless 2026-07-28 revision would cost each connect a round trip that older servers time out on.
        ProtocolVersion = "2025-11-25",
        InitializationTimeout = Config.ConnectTimeout,
        Handlers = new McpClientHandlers
        {
            NotificationHandlers =
            [
                new(NotificationMethods.ToolListChangedNotification, OnListChangedAsync),
                new(NotificationMethods.ResourceListChangedNotification, OnListChangedAsync),
                new(NotificationMethods.PromptListChangedNotification, OnListChangedAsync),
                new(NotificationMethods.ResourceUpdatedNotification, ForwardAsync),
            ],
            SamplingHandler = async (request, _, cancellationToken) =>
                await CallerOf("sampling/createMessage", c => c.Sampling).SampleAsync(request!, cancellationToken).ConfigureAwait(false),
            ElicitationHandler = async (request, cancellationToken) =>
                await CallerOf("elicitation/create", c => c.Elicitation).ElicitAsync(request!, cancellationToken).ConfigureAwait(false),
            RootsHandler = async (request, cancellationToken) =>
            {
                var caller = _inFlight.Latest()?.Agent;
                return caller?.ClientCapabilities?.Roots is null
                    ? new ListRootsResult { Roots = [] }
                    : await caller.RequestRootsAsync(request ?? new ListRootsRequestParams(), cancellationToken).ConfigureAwait(false);
            },
        },
    };

    /// <summary>
    /// The agent whose call is in progress here, to route <paramref name="method"/> to; refused, with the reason
    /// (the SDK would tell the server only that an error occurred), when there is none or it cannot take the request.
    /// </summary>
    private McpServer CallerOf(string method, Func<ClientCapabilities, object?> capability)
    {
        var caller = _inFlight.Latest()?.Agent ?? throw new McpProtocolException(
            $"The gateway has no agent session to route '{method}' to: requests from server '{Id}' are only accepted while one of its calls is in progress.",
            McpErrorCode.InvalidRequest);
        return caller.ClientCapabilities is { } declared && capability(declared) is not null
            ? caller
            : throw new McpProtocolException(
                $"The calling agent cannot be sent '{method}': it did not declare the capability, or it is on the sessionless protocol revision, which has no channel for its reply.",
                McpErrorCode.InvalidRequest);
    }

    private ValueTask ForwardAsync(JsonRpcNotification notification, CancellationToken cancellationToken) =>
        _router.ForwardNotificationAsync(Id, notification, cancellationToken);

    /// <summary>Log messages go to the agents with a call in flight here, on that call's stream; others never see them.</summary>
    private ValueTask ForwardLogAsync(JsonRpcNotification notification) =>
        _router.ForwardLogAsync(Id, notification, _inFlight.Snapshot(), CancellationToken.None);

    private ValueTask OnListChangedAsync(JsonRpcNotification notification, CancellationToken cancellationToken)
    {
        // Re-listing from inside the client's receive loop would wait on that same loop; refresh beside it.
        _ = Task.Run(RefreshCatalogAsync, CancellationToken.None);
        return ValueTask.CompletedTask;
    }

    /// <summary>Re-lists the server's catalog and tells the sessions that see it.</summary>
    public async Task RefreshCatalogAsync()
    {
        var client = Volatile.Read(ref _client);
        if (client is null)
        {
            return;
        }

        await _refreshGate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            Catalog = await ListCatalogAsync(client, _stopping.Token).ConfigureAwait(false);
            await _router.CatalogChangedAsync(Id, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRefreshFailed(Id, ex.Message);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    private static async Task<UpstreamCatalog> ListCatalogAsync(McpClient client, CancellationToken cancellationToken)
    {
        var capabilities = client.ServerCapabilities;
        var tools = capabilities.Tools is null ? [] : (await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(t => t.ProtocolTool).ToArray();
        var resources = capabilities.Resources is null ? [] : (await client.ListResourcesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(r => r.ProtocolResource).ToArray();
        var templates = capabilities.Resources is null ? [] : (await client.ListResourceTemplatesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(r => r.ProtocolResourceTemplate).ToArray();
        var prompts = capabilities.Prompts is null ? [] : (await client.ListPromptsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(p => p.ProtocolPrompt).ToArray();
        return new UpstreamCatalog(tools, resources, templates, prompts);
    }

    private static async ValueTask DisposeQuietlyAsync(McpClient client)
    {
        try
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The connection is already gone; disposing only releases what is left.
        }
    }

    /// <summary>Stops supervision and closes the connection (for stdio: ends the process).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        lock (_membersLock)
        {
            _stopping.Cancel();
        }

        await Task.WhenAll(_members.Values.Select(m => m.DisposeAsync().AsTask())).ConfigureAwait(false);
        _members.Clear();
        try
        {
            await _supervisor.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        State = UpstreamState.Stopped;
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream {ServerId} connected with {ToolCount} tools (after {Attempts} failed attempts)")]
    private partial void LogConnected(string serverId, int toolCount, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {ServerId} is down: {Reason}; reconnecting in {DelayMs} ms")]
    private partial void LogDown(string serverId, string reason, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "[{ServerId} stderr] {Line}")]
    private partial void LogStderr(string serverId, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upstream {ServerId}: refreshing its catalog failed: {Reason}")]
    private partial void LogRefreshFailed(string serverId, string reason);
}
