using System.Diagnostics;

namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>Runs a Node.js command-line tool from the pinned test peers and captures its output.</summary>
internal static class NodeTool
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string script, IEnumerable<string> args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Repo.Node) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.Combine(Repo.Root, "tests", "peers") };
        info.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The pinned Node comes first on PATH so child processes of the tool use it too.
        info.Environment["PATH"] = Path.GetDirectoryName(Repo.Node) + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} did not finish within {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
