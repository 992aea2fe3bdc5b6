using System.Diagnostics;
using System.Globalization;
using Portcullis.Configuration;

namespace Portcullis.Upstreams;

/// <summary>
/// Builds the command line that runs a stdio server inside its limits: <c>prlimit</c> for resource limits and
/// bubblewrap (<c>bwrap</c>) for network and filesystem confinement, both from the host's packages. A server that asks
/// for what the host cannot give is refused, never run with less.
/// </summary>
public static class ProcessIsolation
{
    private static readonly Lazy<string?> Bubblewrap = new(() => Probe("bwrap", "--ro-bind", "/", "/", "--unshare-net", "--", "true"));
    private static readonly Lazy<string?> Prlimit = new(() => Probe("prlimit", "--nofile=64", "--", "true"));

    /// <summary>Why <paramref name="server"/> cannot be run as declared on this host, or null when it can.</summary>
    public static string? Unavailable(ServerConfig server)
    {
        if (server.Transport != ServerTransport.Stdio)
        {
            return null;
        }

        var isolation = server.Isolation;
        if (isolation.NeedsSandbox && Bubblewrap.Value is null)
        {
            var wanted = string.Join(" and ", new[] { isolation.Network ? null : "no network", isolation.ReadOnlyFilesystem ? "a read-only filesystem" : null }.OfType<string>());
            return $"server '{server.Id}' declares {wanted}, which needs bubblewrap ('bwrap'), and bubblewrap is not installed or cannot create namespaces here; install it (e.g. apt-get install bubblewrap) or remove the setting";
        }

        if (isolation.HasLimits && Prlimit.Value is null)
        {
            return $"server '{server.Id}' declares resource limits, which need 'prlimit' (util-linux), and it is not available here";
        }

        return null;
    }

    /// <summary>The command and arguments that run <paramref name="command"/> confined as <paramref name="isolation"/> says, working in <paramref name="workingDirectory"/>.</summary>
    public static (string Command, IList<string> Arguments) Wrap(IsolationConfig isolation, string command, IReadOnlyList<string> arguments, string workingDirectory, UpstreamHost host)
    {
        List<string> line = [];
        if (isolation.NeedsSandbox)
        {
            // No --die-with-parent: it fires when the spawning thread exits, and the runtime retires pool threads.
            // The server still ends with the gateway: its standard input closes.
            line.AddRange(["--new-session", "--unshare-pid", "--unshare-ipc"]);
            if (!isolation.Network)
            {
                line.Add("--unshare-net");
            }

            if (isolation.ReadOnlyFilesystem)
            {
                // No tmpfs over /tmp: the server's own program may live there. Its temporary files go to TMPDIR,
                // which the connector points into the working directory.
                line.AddRange(["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
                foreach (var hidden in host.HiddenPaths)
                {
                    if (Directory.Exists(hidden))
                    {
                        line.AddRange(["--tmpfs", hidden]);
                    }
                    else if (File.Exists(hidden))
                    {
                        line.AddRange(["--ro-bind", "/dev/null", hidden]);
                    }
                }

                line.AddRange(["--bind", workingDirectory, workingDirectory]);
            }
            else
            {
                line.AddRange(["--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]);
            }

            line.AddRange(["--chdir", workingDirectory, "--"]);
        }

        if (isolation.HasLimits)
        {
            if (line.Count > 0)
            {
                line.Add(Prlimit.Value!);
            }

            if (isolation.MemoryBytes is { } memory)
            {
                line.Add("--data=" + memory.ToString(CultureInfo.InvariantCulture));
            }

            if (isolation.CpuTime is { } cpu)
            {
                line.Add("--cpu=" + Math.Max(1, (long)Math.Ceiling(cpu.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
            }

            if (isolation.OpenFiles is { } files)
            {
                line.Add("--nofile=" + files.ToString(CultureInfo.InvariantCulture));
            }

            if (isolation.Processes is { } processes)
            {
                line.Add("--nproc=" + processes.ToString(CultureInfo.InvariantCulture));
            }

            line.Add("--");
        }

        if (line.Count == 0)
        {
            return (command, [.. arguments]);
        }

        line.Add(command);
        line.AddRange(arguments);
        return (isolation.NeedsSandbox ? Bubblewrap.Value! : Prlimit.Value!, line);
    }

    /// <summary>The full path of <paramref name="program"/> when it is on PATH and runs <paramref name="arguments"/> successfully.</summary>
    private static string? Probe(string program, params string[] arguments)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
        if (path is null)
        {
            return null;
        }

        try
        {
            var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }

            return process.ExitCode == 0 ? path : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
