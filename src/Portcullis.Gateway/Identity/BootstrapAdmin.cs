using Portcullis.Identity;

namespace Portcullis.Gateway.Identity;

/// <summary>
/// On a store with no active admin token, issues the first one at start-up so the gateway can be administered at
/// all. The secret is kept only until <c>portcullis serve</c> prints it once; it is never logged. (Offline, the CLI
/// issues one straight into the store: <c>portcullis token issue --config FILE --member NAME --roles admin</c>.)
/// </summary>
internal sealed class BootstrapAdmin(MemberTokens tokens, IMemberTokenStore store, TimeProvider time)
{
    private string? _token;

    /// <summary>Issues the bootstrap token if no active admin token exists.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (await store.AnyActiveWithRoleAsync(Principal.AdminRole, time.GetUtcNow(), cancellationToken))
        {
            return;
        }

        (_token, _) = await tokens.IssueAsync(new MemberTokenRequest { Member = "admin", Roles = [Principal.AdminRole], Lifetime = TimeSpan.FromDays(30) }, "bootstrap", cancellationToken);
    }

    /// <summary>Returns the bootstrap token once, then forgets it.</summary>
    public string? TakeToken() => Interlocked.Exchange(ref _token, null);
}
