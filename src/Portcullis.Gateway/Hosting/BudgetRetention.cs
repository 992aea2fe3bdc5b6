using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Limits;

namespace Portcullis.Gateway.Hosting;

/// <summary>
/// Forgets daily spending older than <see cref="KeptDays"/> days, hourly. A day's spending is never charged again
/// after it ends; it is kept that long only for <c>GET /admin/api/budgets?day=</c>.
/// </summary>
internal sealed partial class BudgetRetention(IBudgetStore store, TimeProvider time, ILogger<BudgetRetention> logger) : BackgroundService
{
    public const int KeptDays = 31;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                await store.PruneAsync(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-KeptDays), stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning old budget spending failed: {Reason}")]
    private partial void LogFailed(string reason);
}
