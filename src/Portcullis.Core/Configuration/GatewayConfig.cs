namespace Portcullis.Configuration;

/// <summary>The whole validated configuration file: one immutable snapshot, replaced as a unit on reload.</summary>
public sealed record GatewayConfig
{
    /// <summary>How the front door listens and what it accepts.</summary>
    public FrontDoorConfig Gateway { get; init; } = new();

    /// <summary>Who may use the gateway.</summary>
    public AuthConfig Auth { get; init; } = new();

    /// <summary>Who may do what: rules, risk classes, limits, budget.</summary>
    public Policy.PolicyConfig Policy { get; init; } = new();

    /// <summary>The embedded secret store.</summary>
    public SecretsConfig Secrets { get; init; } = new();

    /// <summary>Duplicate write requests.</summary>
    public IdempotencyConfig Idempotency { get; init; } = new();

    /// <summary>Human approval of held calls.</summary>
    public ApprovalsConfig Approvals { get; init; } = new();

    /// <summary>Trace and metric export.</summary>
    public TelemetryConfig Telemetry { get; init; } = new();

    /// <summary>Audit chain settings.</summary>
    public AuditConfig Audit { get; init; } = new();

    /// <summary>Where durable state lives.</summary>
    public StorageConfig Storage { get; init; } = new();

    /// <summary>Upstream MCP servers, in file order.</summary>
    public IReadOnlyList<ServerConfig> Servers { get; init; } = [];

    /// <summary>Named endpoints (<c>/v/{id}/mcp</c>) exposing a curated subset of tools.</summary>
    public IReadOnlyList<VirtualServerConfig> VirtualServers { get; init; } = [];

    /// <summary>SHA-256 of the file's bytes, so logs and (later) audit can name the exact version in force.</summary>
    public string Version { get; init; } = "";

    /// <summary>The file the snapshot was read from, if any.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The configuration file's folder (the working directory for an inline configuration): relative paths are anchored here.</summary>
    public string BaseDirectory => SourcePath is { } path ? Path.GetDirectoryName(path)! : Directory.GetCurrentDirectory();

    /// <summary>Full path of the SQLite store: <see cref="StorageConfig.Sqlite"/> anchored at the configuration file's folder.</summary>
    public string SqlitePath() => PathFromConfig(Storage.Sqlite);

    /// <summary>Full path of <paramref name="relative"/> anchored at the configuration file's folder.</summary>
    public string PathFromConfig(string relative) => Path.GetFullPath(Path.Combine(BaseDirectory, relative));

    /// <summary>Looks a server up by id.</summary>
    public ServerConfig? FindServer(string id)
    {
        foreach (var server in Servers)
        {
            if (string.Equals(server.Id, id, StringComparison.Ordinal))
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>Looks a virtual server up by id.</summary>
    public VirtualServerConfig? FindVirtualServer(string id)
    {
        foreach (var server in VirtualServers)
        {
            if (string.Equals(server.Id, id, StringComparison.Ordinal))
            {
                return server;
            }
        }

        return null;
    }
}
