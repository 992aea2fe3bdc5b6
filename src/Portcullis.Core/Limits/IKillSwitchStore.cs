namespace Portcullis.Limits;

/// <summary>Durable kill switches, so an engaged switch survives a restart.</summary>
public interface IKillSwitchStore
{
    /// <summary>All engaged switches.</summary>
    Task<IReadOnlyList<KillSwitch>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Engages (or re-engages) a switch.</summary>
    Task EngageAsync(KillSwitch kill, CancellationToken cancellationToken);

    /// <summary>Releases a switch; false when it was not engaged.</summary>
    Task<bool> ReleaseAsync(KillTarget target, string id, CancellationToken cancellationToken);
}
