using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Portcullis.Policy;

namespace Portcullis.Limits;

/// <summary>
/// Counters behind rate limits, budgets and concurrency caps. Kept outside the configuration snapshot, keyed by each
/// limit's id and definition, so a reload that leaves a limit unchanged leaves its counters as they were.
/// </summary>
public sealed class LimitState(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string LimitKey, string Key), FixedWindowRateLimiter> _rates = new();
    private readonly ConcurrentDictionary<(string Subject, DateOnly Day), int> _spent = new();
    private readonly ConcurrentDictionary<(string ServerId, int Max), SemaphoreSlim> _concurrency = new();

    /// <summary>Takes one permit of <paramref name="limit"/> for <paramref name="key"/>; returns the wait before retrying when none is left.</summary>
    public TimeSpan? TryTakeRate(RateLimitRule limit, string key)
    {
        var limiter = _rates.GetOrAdd((LimitKey(limit), key), static (_, rule) => new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = rule.Permits,
            Window = rule.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }), limit);
        using var lease = limiter.AttemptAcquire(1);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : limit.Window;
    }

    /// <summary>Charges <paramref name="cost"/> units to today's (UTC) budget of <paramref name="subject"/>; false when that would exceed <paramref name="daily"/>.</summary>
    public bool TryCharge(string subject, int cost, int daily)
    {
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        while (true)
        {
            var spent = _spent.GetOrAdd((subject, day), 0);
            if (spent + cost > daily)
            {
                return false;
            }

            if (_spent.TryUpdate((subject, day), spent + cost, spent))
            {
                return true;
            }
        }
    }

    /// <summary>Units <paramref name="subject"/> has spent today (UTC).</summary>
    public int Spent(string subject) => _spent.GetValueOrDefault((subject, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime)));

    /// <summary>Time until the budgets reset (00:00 UTC).</summary>
    public TimeSpan UntilBudgetReset()
    {
        var now = time.GetUtcNow();
        return now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime;
    }

    /// <summary>Takes a slot of the server's concurrency cap; null when the cap is reached. Dispose the slot when the call ends.</summary>
    public IDisposable? TryEnter(string serverId, int max)
    {
        var gate = _concurrency.GetOrAdd((serverId, max), static key => new SemaphoreSlim(key.Max, key.Max));
        return gate.Wait(0) ? new Slot(gate) : null;
    }

    private static string LimitKey(RateLimitRule limit) => $"{limit.Id}|{limit.Per}|{limit.Permits}|{limit.Window.Ticks}|{limit.RiskClass}|{string.Join(',', limit.Tools)}";

    private sealed class Slot(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
