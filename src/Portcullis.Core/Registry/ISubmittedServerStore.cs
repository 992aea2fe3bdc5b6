using Portcullis.Configuration;

namespace Portcullis.Registry;

/// <summary>Servers submitted through the admin API (as opposed to declared in the configuration file).</summary>
public interface ISubmittedServerStore
{
    /// <summary>All submitted servers.</summary>
    Task<IReadOnlyList<ServerConfig>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Adds a submitted server.</summary>
    Task AddAsync(ServerConfig server, string submittedBy, CancellationToken cancellationToken);
}
