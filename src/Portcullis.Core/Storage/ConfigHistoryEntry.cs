namespace Portcullis.Storage;

/// <summary>One configuration load attempt.</summary>
/// <param name="Version">SHA-256 of the file (empty when unreadable).</param>
/// <param name="Source">Path of the file.</param>
/// <param name="At">When it was loaded.</param>
/// <param name="Accepted">Whether it took effect.</param>
/// <param name="Detail">What changed, or why it was refused.</param>
public sealed record ConfigHistoryEntry(string Version, string Source, DateTimeOffset At, bool Accepted, string Detail);
