namespace Portcullis.Identity;

/// <summary>Durable member tokens. Lookups run on every request, so revocation is seen at once.</summary>
public interface IMemberTokenStore
{
    /// <summary>Adds a token.</summary>
    Task AddAsync(MemberToken token, CancellationToken cancellationToken);

    /// <summary>Finds a token by id.</summary>
    ValueTask<MemberToken?> FindAsync(string id, CancellationToken cancellationToken);

    /// <summary>All tokens, newest first.</summary>
    Task<IReadOnlyList<MemberToken>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Marks a token revoked; false when there is no such token.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>True when some unrevoked, unexpired token carries <paramref name="role"/>.</summary>
    Task<bool> AnyActiveWithRoleAsync(string role, DateTimeOffset now, CancellationToken cancellationToken);
}
