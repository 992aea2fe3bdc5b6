namespace Portcullis.Registry;

/// <summary>Durable registry: server records, their pins, and the approvals made.</summary>
public interface IRegistryStore
{
    /// <summary>All server records.</summary>
    Task<IReadOnlyList<ServerRecord>> ListServersAsync(CancellationToken cancellationToken);

    /// <summary>The pins of every server.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<Pin>>> ListPinsAsync(CancellationToken cancellationToken);

    /// <summary>Saves a server record.</summary>
    Task SaveServerAsync(ServerRecord record, CancellationToken cancellationToken);

    /// <summary>Replaces a server's pins and records the approval with the diff it approved.</summary>
    Task ApproveAsync(ServerRecord record, IReadOnlyList<Pin> pins, string diff, CancellationToken cancellationToken);
}
