using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>
/// A real PostgreSQL server of the tests' own: a cluster made with <c>initdb</c> in a temporary folder, on a free
/// loopback port, started once per test run and stopped when the run ends. Each test takes a fresh database of its
/// own (<see cref="CreateDatabaseAsync"/>). The server binaries come from the system (Debian's postgresql package;
/// <c>.ci/run</c> installs it); as root, the server runs as the <c>postgres</c> user, since PostgreSQL refuses root.
/// </summary>
internal sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private readonly Process _process;
    private readonly string _directory;

    private PostgresServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    public int Port { get; }

    /// <summary>The run's server, started on first use.</summary>
    public static Task<PostgresServer> GetAsync() => Shared.Value;

    /// <summary>Connection string (no password: the test cluster trusts loopback) for <paramref name="database"/>.</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username=portcullis;Database={database}";

    /// <summary>Creates an empty database and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = "test_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return name;
    }

    /// <summary>The YAML <c>storage:</c> block for a gateway on <paramref name="database"/>.</summary>
    public string Storage(string database) => $"""
        storage:
          postgres:
            connectionString: "{ConnectionString(database)}"
        """;

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, as .ci/run does");
        }

        var directory = Directory.CreateTempSubdirectory("portcullis-pg-").FullName;
        var root = Environment.UserName == "root";
        if (root)
        {
            await RunAsync("chown", ["postgres", directory]);
        }

        var data = Path.Combine(directory, "data");
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "portcullis", "--auth=trust", "-E", "UTF8", "--no-sync"], root);
        var port = FreePort();
        var server = Start(Path.Combine(bin, "postgres"), ["-D", data, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-k", directory,
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=300"], root);
        var instance = new PostgresServer(server, directory, port);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(instance.ConnectionString("postgres"));
                await connection.OpenAsync();
                return instance;
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !server.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    private void Stop()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Start(string program, string[] arguments, bool asPostgres = false)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asPostgres)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task RunAsync(string program, string[] arguments, bool asPostgres = false)
    {
        using var process = Start(program, arguments, asPostgres);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}");
        }
    }
}
