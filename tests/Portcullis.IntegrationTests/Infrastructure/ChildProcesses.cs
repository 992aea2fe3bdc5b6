namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>Finds the processes the gateway spawned, by a marker argument, through /proc (Linux).</summary>
internal static class ChildProcesses
{
    public static int FindByArgument(string marker)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (arguments.Contains(marker))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new InvalidOperationException($"no process with argument {marker}");
    }
}
