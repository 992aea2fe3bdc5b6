using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Portcullis.Policy;

namespace Portcullis.Limits;

/// <summary>
/// Counters behind rate limits and concurrency caps (budgets are in <see cref="IBudgetStore"/>). Kept outside the configuration snapshot, keyed by each
/// limit's id and definition, so a reload that leaves a limit unchanged leaves its counters as they were.
/// </summary>
public sealed class LimitState
{
    private readonly ConcurrentDictionary<(string LimitKey, string Key), FixedWindowRateLimiter> _rates = new();
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
