namespace Portcullis.Scanning;

/// <summary>What the scanner knows about the server's neighbourhood, to tell a reference to a sibling from one to another server's tool.</summary>
/// <param name="OwnTools">Names of the tools the scanned server itself exposes.</param>
/// <param name="OtherTools">Bare names of tools other servers expose.</param>
public sealed record ScanContext(IReadOnlyCollection<string> OwnTools, IReadOnlyCollection<string> OtherTools)
{
    /// <summary>No neighbourhood known.</summary>
    public static readonly ScanContext Empty = new([], []);
}
