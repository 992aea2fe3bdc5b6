using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using Portcullis.Configuration;
using Portcullis.Gateway;
using Portcullis.Gateway.Hosting;
using Portcullis.Identity;
using Portcullis.Upstreams;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>A real gateway on Kestrel, loopback port 0, running a configuration file written to a temporary folder.</summary>
internal sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _storage;

    private TestGateway(WebApplication app, string directory, string configPath, string token, string? storage)
    {
        _app = app;
        _storage = storage;
        Directory = directory;
        ConfigPath = configPath;
        Token = token;
        Url = app.ListeningAddress();
        Http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>A member token (roles: admin) that <see cref="Http"/> and <see cref="ConnectAsync"/> send.</summary>
    public string Token { get; }

    public string Url { get; }

    public string Directory { get; }

    public string ConfigPath { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public UpstreamPool Pool => _app.Services.GetRequiredService<UpstreamPool>();

    /// <summary>Log lines the gateway wrote, for assertions about what it reports.</summary>
    public CapturedLog Log { get; } = new();

    /// <summary>
    /// Starts a gateway whose configuration is <c>gateway:</c> on port 0 plus <paramref name="body"/> (servers,
    /// virtualServers…), on its own SQLite file unless <paramref name="storage"/> gives another <c>storage:</c> block.
    /// </summary>
    public static async Task<TestGateway> StartAsync(string body, CancellationToken cancellationToken, bool waitForServers = true, string gatewaySettings = "", string? directory = null, string? storage = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("portcullis-test-").FullName;
        var configPath = Path.Combine(directory, "portcullis.yaml");
        await File.WriteAllTextAsync(configPath, Compose(body, gatewaySettings, storage), cancellationToken);
        var log = new CapturedLog();
        var app = PortcullisGateway.Create(ConfigLoader.LoadFile(configPath), logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
        await app.StartAsync(cancellationToken);
        var (token, _) = await app.Services.GetRequiredService<MemberTokens>().IssueAsync(new MemberTokenRequest { Member = "tester", Roles = ["admin"] }, "test", cancellationToken);
        var gateway = new TestGateway(app, directory, configPath, token, storage);
        gateway.Log.Attach(log);
        if (waitForServers)
        {
            await gateway.WaitForAllReadyAsync(cancellationToken);
        }

        return gateway;
    }

    /// <summary>The gateway denies by default; tests about other things run under an explicit allow-everything policy.</summary>
    private const string AllowEverything = """
        policy:
          rules:
            - id: test-allow-all
              roles: ["*"]
              tools: ["*"]
              prompts: ["*"]
              resources: ["*"]
        """;

    public static string Compose(string body, string gatewaySettings = "", string? storage = null) => $"""
        gateway:
          listen: http://127.0.0.1:0
        {gatewaySettings}
        {storage ?? "storage:\n  sqlite: gateway.db"}
        {body}
        {(body.Contains("policy:", StringComparison.Ordinal) ? "" : AllowEverything)}
        """;

    public async Task WaitForAllReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        foreach (var connector in Pool.All)
        {
            await connector.WaitForStateAsync(UpstreamState.Ready, timeout.Token);
        }
    }

    public UpstreamConnector Upstream(string id) => Pool.Find(id) ?? throw new InvalidOperationException($"no server {id}");

    /// <summary>Rewrites the configuration file and waits until the gateway has applied or refused it.</summary>
    public async Task<bool> RewriteConfigAsync(string body, CancellationToken cancellationToken)
    {
        var reloader = _app.Services.GetRequiredService<ConfigReloader>();
        var outcome = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<bool> handler = applied => outcome.TrySetResult(applied);
        reloader.Reloaded += handler;
        try
        {
            await File.WriteAllTextAsync(ConfigPath, Compose(body, storage: _storage), cancellationToken);
            return await outcome.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        finally
        {
            reloader.Reloaded -= handler;
        }
    }

    /// <summary>Connects the SDK client to an endpoint of the gateway, with <see cref="Token"/> unless another is given.</summary>
    public Task<McpClient> ConnectAsync(string path = "/mcp", McpClientOptions? options = null, HttpTransportMode mode = HttpTransportMode.StreamableHttp, CancellationToken cancellationToken = default, string? token = null) =>
        McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(Url + path),
                TransportMode = mode,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + (token ?? Token) },
            }),
            options ?? new McpClientOptions { ProtocolVersion = "2025-11-25" },
            cancellationToken: cancellationToken);

    /// <summary>Issues a member token through the gateway's own token service.</summary>
    public async Task<(string Token, MemberToken Record)> IssueTokenAsync(MemberTokenRequest request, CancellationToken cancellationToken) =>
        await _app.Services.GetRequiredService<MemberTokens>().IssueAsync(request, "test", cancellationToken);

    /// <summary>Leave the folder (store, configuration) in place when disposed, so another gateway can start on it.</summary>
    public bool KeepDirectory { get; set; }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (KeepDirectory)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
