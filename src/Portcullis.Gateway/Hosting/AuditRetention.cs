using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Audit;
using Portcullis.Configuration;

namespace Portcullis.Gateway.Hosting;

/// <summary>
/// Applies <c>audit.retention</c> hourly: deletes records older than the retention, but only up to the newest signed
/// checkpoint that old, so what remains still verifies from that checkpoint. The pruning is itself recorded.
/// </summary>
internal sealed partial class AuditRetention(GatewayConfigProvider config, IAuditStore store, AuditLog audit, TimeProvider time, ILogger<AuditRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await RunOnceAsync(time.GetUtcNow(), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Prunes what is past retention at <paramref name="now"/>; returns the last pruned sequence number, if any.</summary>
    public async Task<long?> RunOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (config.Current.Audit.Retention is not { } retention)
        {
            return null;
        }

        var last = (await store.HeadAsync(cancellationToken))?.Seq ?? 0;
        var anchor = (await store.ListCheckpointsAsync(cancellationToken)).Where(c => c.Time < now - retention && c.Seq < last).MaxBy(c => c.Seq);
        if (anchor is null)
        {
            return null;
        }

        await store.PruneAsync(anchor.Seq, cancellationToken);
        await audit.AppendAsync(AuditRecords.FromAdmin("retention", "audit", null, "success", $"records up to {anchor.Seq} pruned (older than {retention}); the chain is anchored at that signed checkpoint"), cancellationToken);
        LogPruned(anchor.Seq);
        return anchor.Seq;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit retention pruned records up to {Seq}")]
    private partial void LogPruned(long seq);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit retention failed: {Reason}")]
    private partial void LogFailed(string reason);
}
