using Portcullis.Configuration;

namespace Portcullis.Upstreams;

/// <summary>Where upstream connections are anchored on this host: relative paths, server working directories, and what a confined server must not see.</summary>
/// <param name="BaseDirectory">The configuration file's folder; relative commands and paths are anchored here.</param>
/// <param name="DataDirectory">The gateway's data folder; stdio servers get working directories under it.</param>
/// <param name="HiddenPaths">Files and folders hidden from servers with a read-only filesystem (the gateway's data, configuration and key file).</param>
public sealed record UpstreamHost(string BaseDirectory, string DataDirectory, IReadOnlyList<string> HiddenPaths)
{
    /// <summary>The host of a gateway running <paramref name="config"/>.</summary>
    public static UpstreamHost From(GatewayConfig config)
    {
        var dataDirectory = Path.GetDirectoryName(config.SqlitePath())!;
        List<string> hidden = [dataDirectory];
        if (config.SourcePath is { } source)
        {
            hidden.Add(Path.GetFullPath(source));
        }

        if (config.Secrets.KeyFile is { } keyFile)
        {
            hidden.Add(config.PathFromConfig(keyFile));
        }

        return new UpstreamHost(config.BaseDirectory, dataDirectory, hidden);
    }
}
