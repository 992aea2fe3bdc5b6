namespace Portcullis.Storage;

/// <summary>Durable record of every configuration version the gateway accepted or refused, so "which rules were in force when" has an answer.</summary>
public interface IConfigHistoryStore
{
    /// <summary>Records one load attempt.</summary>
    Task RecordAsync(ConfigHistoryEntry entry, CancellationToken cancellationToken);

    /// <summary>The most recent entries, newest first.</summary>
    Task<IReadOnlyList<ConfigHistoryEntry>> ListAsync(int limit, CancellationToken cancellationToken);
}
