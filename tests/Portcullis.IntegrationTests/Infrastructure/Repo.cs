namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>Paths of the repository and of the test peers installed by <c>tests/peers</c>.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Peers => Path.Combine(Root, "tests", "peers", "node_modules");

    /// <summary>Node 22 from the pinned npm package (the conformance suite needs it); falls back to the machine's node.</summary>
    public static string Node
    {
        get
        {
            var pinned = Path.Combine(Peers, ".bin", "node");
            return File.Exists(pinned) ? pinned : "node";
        }
    }

    public static string CliDll => Path.Combine(Root, "artifacts", "bin", "Portcullis.Cli", "debug", "portcullis.dll");

    public static string TicketsDll => Path.Combine(Root, "artifacts", "bin", "Portcullis.Samples.Tickets", "debug", "Portcullis.Samples.Tickets.dll");

    public static string ConformanceFixtureDll => Path.Combine(Root, "artifacts", "bin", "Portcullis.Samples.Conformance", "debug", "Portcullis.Samples.Conformance.dll");

    public static string Peer(string package, string relativePath)
    {
        var path = Path.Combine(Peers, package, relativePath);
        return File.Exists(path) ? path : throw new FileNotFoundException($"Test peer {package} is not installed: run `npm ci --prefix tests/peers` (the README's test command does).", path);
    }

    /// <summary>The isolation tests' stdio server: reports what its process can reach.</summary>
    public static string ProbeServer => Path.Combine(Root, "tests", "peers", "probe-server.mjs");

    public static string EverythingServer => Peer("@modelcontextprotocol/server-everything", "dist/index.js");

    public static string MemoryServer => Peer("@modelcontextprotocol/server-memory", "dist/index.js");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Portcullis.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Portcullis.slnx not found above " + AppContext.BaseDirectory);
    }
}
