using System.Text.Json;

namespace Portcullis.Configuration;

/// <summary>One upstream MCP server as declared in the configuration.</summary>
public sealed record ServerConfig
{
    /// <summary>Environment variables a stdio server inherits from the gateway unless the config says otherwise: enough to find and run a program, nothing secret.</summary>
    public static readonly IReadOnlyList<string> DefaultInheritedEnvironment = ["PATH", "HOME", "LANG", "TZ"];

    /// <summary>Stable id; the prefix of the server's tools (<c>id__tool</c>) and the <c>/servers/{id}/mcp</c> path segment.</summary>
    public required string Id { get; init; }

    /// <summary>Transport used to reach the server.</summary>
    public ServerTransport Transport { get; init; } = ServerTransport.Stdio;

    /// <summary>Human-readable description shown in listings.</summary>
    public string? Description { get; init; }

    /// <summary>Who answers for the server (a team or person), shown in the registry.</summary>
    public string? Owner { get; init; }

    /// <summary>What a reviewer should know about the server's risks.</summary>
    public string? RiskNotes { get; init; }

    /// <summary>Program to run (stdio).</summary>
    public string? Command { get; init; }

    /// <summary>Arguments of <see cref="Command"/> (stdio).</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>The only environment variables the process gets besides <see cref="InheritEnvironment"/> (stdio).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Names of the gateway's own environment variables passed through (stdio). Defaults to <see cref="DefaultInheritedEnvironment"/>.</summary>
    public IReadOnlyList<string> InheritEnvironment { get; init; } = DefaultInheritedEnvironment;

    /// <summary>Working directory of the process (stdio), relative to the configuration file. Unset: a dedicated directory of the server's under the gateway's data directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Resource limits and confinement of the process (stdio).</summary>
    public IsolationConfig Isolation { get; init; } = new();

    /// <summary>Endpoint of a remote server (http, sse).</summary>
    public Uri? Url { get; init; }

    /// <summary>Static headers sent with every request to a remote server (http, sse).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The server's review happened in the configuration's own review: it is approved as declared, pinned on first
    /// connect, and the approval is recorded with the configuration's version. Otherwise it stays proposed.
    /// </summary>
    public bool Preapproved { get; init; }

    /// <summary>Environment the server belongs to (dev, test, prod…), for policy conditions.</summary>
    public string? Environment { get; init; }

    /// <summary>Most requests in flight to this server at once; more are refused as limited. Null for no cap.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>How results of this server are inspected (injection, secrets, size).</summary>
    public InspectionConfig Inspect { get; init; } = new();

    /// <summary>Longest time one request to this server may take before it is cancelled.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest time connecting and initializing may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A canonical text of every setting that affects the connection. Two configs with the same fingerprint
    /// can share a running connector, so a reload does not restart servers whose settings did not change.
    /// </summary>
    public string ConnectionFingerprint() => JsonSerializer.Serialize(new
    {
        Id,
        Transport = Transport.ToString(),
        Command,
        Args,
        Env = Env.OrderBy(e => e.Key, StringComparer.Ordinal).ToArray(),
        InheritEnvironment,
        WorkingDirectory,
        Isolation,
        Url = Url?.ToString(),
        Headers = Headers.OrderBy(e => e.Key, StringComparer.Ordinal).ToArray(),
        RequestTimeout,
        ConnectTimeout,
        MaxConcurrency,
    });
}
