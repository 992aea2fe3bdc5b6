using System.Diagnostics;
using System.Globalization;

namespace Portcullis.Load;

/// <summary>
/// Splits the machine's cores between the server under test (the last core) and everything else (the load generator,
/// the tickets servers, stdio children), through <c>taskset</c>, so a gateway's cost shows as what it takes from the
/// agents and the upstream rather than as CPU it competes with them for.
/// </summary>
internal sealed record CorePinning(string Others, string Server)
{
    public static CorePinning Split()
    {
        var last = Environment.ProcessorCount - 1;
        if (last < 1)
        {
            throw new InvalidOperationException("--pin needs at least two cores");
        }

        return new(last == 1 ? "0" : $"0-{last - 1}", last.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The command line that runs <paramref name="command"/> (program first) on <paramref name="cores"/>.</summary>
    public static string[] On(string cores, string[] command) => ["taskset", "-c", cores, .. command];

    /// <summary>Moves every thread of this process (the load generator) to the other cores; threads it starts later inherit them.</summary>
    public void PinLoadGenerator()
    {
        using var taskset = Process.Start(new ProcessStartInfo("taskset", ["-a", "-p", "-c", Others, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("could not start taskset");
        taskset.WaitForExit();
        if (taskset.ExitCode != 0)
        {
            throw new InvalidOperationException("taskset could not pin the load generator");
        }
    }
}
