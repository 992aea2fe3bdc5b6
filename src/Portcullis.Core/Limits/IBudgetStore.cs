namespace Portcullis.Limits;

/// <summary>
/// What each principal has spent of its daily budget, durable and shared by every replica of the store: a restart
/// does not give anyone a fresh day, and several replicas draw on one budget instead of one each.
/// </summary>
public interface IBudgetStore
{
    /// <summary>
    /// Adds <paramref name="cost"/> to what <paramref name="subject"/> spent on <paramref name="day"/> (UTC), in one
    /// atomic step, unless the total would exceed <paramref name="daily"/>. Returns the total after the charge, or
    /// null when refused (then nothing is charged). Concurrent charges, from any replica, never exceed the budget.
    /// </summary>
    /// <exception cref="Storage.StoreUnavailableException">The store cannot be reached.</exception>
    ValueTask<long?> TryChargeAsync(string subject, DateOnly day, int cost, int daily, CancellationToken cancellationToken);

    /// <summary>What <paramref name="subject"/> spent on <paramref name="day"/> (UTC); 0 when nothing.</summary>
    /// <exception cref="Storage.StoreUnavailableException">The store cannot be reached.</exception>
    Task<long> SpentAsync(string subject, DateOnly day, CancellationToken cancellationToken);

    /// <summary>Every principal's spending on <paramref name="day"/>, most spent first.</summary>
    Task<IReadOnlyList<BudgetSpent>> ListAsync(DateOnly day, CancellationToken cancellationToken);

    /// <summary>Forgets the days before <paramref name="before"/>; returns how many rows went.</summary>
    Task<int> PruneAsync(DateOnly before, CancellationToken cancellationToken);
}

/// <summary>What <paramref name="Subject"/> spent on a day, in cost units.</summary>
public sealed record BudgetSpent(string Subject, long Spent);
