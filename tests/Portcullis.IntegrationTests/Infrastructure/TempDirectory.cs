namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>A folder of its own for one test, removed with everything in it when the test ends.</summary>
internal sealed class TempDirectory(string prefix) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process the test started may still hold a file; the folder is left to the system's temp cleanup.
        }
    }
}
