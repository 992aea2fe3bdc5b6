using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>A real MCP server started as a process for a test (an HTTP upstream), stopped with the test.</summary>
internal sealed partial class UpstreamProcess : IAsyncDisposable
{
    private readonly Process _process;

    private UpstreamProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    /// <summary>The server's MCP endpoint.</summary>
    public string Url { get; }

    /// <summary>The tickets sample over Streamable HTTP on a free loopback port.</summary>
    public static Task<UpstreamProcess> StartTicketsHttpAsync(CancellationToken cancellationToken) =>
        StartAsync("dotnet", [Repo.TicketsDll, "--http", "--urls", "http://127.0.0.1:0"], cancellationToken);

    /// <summary><c>@modelcontextprotocol/server-everything</c> over Streamable HTTP (or SSE) on a free port.</summary>
    public static Task<UpstreamProcess> StartEverythingAsync(string transport, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var path = transport == "sse" ? "/sse" : "/mcp";
        return StartAsync(Repo.Node, [Repo.EverythingServer, transport], new() { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            line => line.Contains($"port {port}", StringComparison.Ordinal) ? $"http://127.0.0.1:{port}{path}" : null, cancellationToken);
    }

    /// <summary>Starts a server built on our host, which prints "Listening on URL" once bound.</summary>
    public static Task<UpstreamProcess> StartAsync(string fileName, string[] args, CancellationToken cancellationToken) =>
        StartAsync(fileName, args, [], line => ListeningOn().Match(line) is { Success: true } m ? m.Groups[1].Value + "/mcp" : null, cancellationToken);

    private static async Task<UpstreamProcess> StartAsync(string fileName, string[] args, Dictionary<string, string> env, Func<string, string?> readyUrl, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (readyUrl(e.Data) is { } url)
            {
                ready.TrySetResult(url);
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"{fileName} exited early:\n{string.Join('\n', output)}"));
        try
        {
            return new UpstreamProcess(process, await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"Listening on (http://\S+)")]
    private static partial Regex ListeningOn();
}
