using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Portcullis.Audit;

/// <summary>
/// Appends records to the chain with group commit: callers enqueue and wait; one writer links whatever is waiting in
/// order and commits it in one transaction, so durability costs one commit per batch, not per call. A caller is
/// released only once its record is durable. If the store fails, every caller in the batch gets
/// <see cref="AuditUnavailableException"/> and the chain does not advance.
/// </summary>
public sealed partial class AuditLog(IAuditStore store, AuditSigner signer, Configuration.GatewayConfigProvider config, ILogger<AuditLog> logger) : IAsyncDisposable
{
    private long _checkpointSeq;
    private int _pendingCount;
    private long _checkpointAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private const int MaxBatch = 512;
    private readonly Channel<(AuditRecord Record, TaskCompletionSource<AuditRecord> Done)> _pending =
        Channel.CreateUnbounded<(AuditRecord, TaskCompletionSource<AuditRecord>)>(new UnboundedChannelOptions { SingleReader = true });
    private Task _writer = Task.CompletedTask;
    private long _lastSeq;
    private string _lastHash = AuditChain.Genesis;

    /// <summary>Number of records committed by this process.</summary>
    public long Committed { get; private set; }

    /// <summary>Records waiting to be committed (audit lag).</summary>
    public int Pending => Volatile.Read(ref _pendingCount);

    /// <summary>False after a batch failed to commit, until one succeeds again.</summary>
    public bool Healthy { get; private set; } = true;

    /// <summary>Reads where the chain ends and starts the writer.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await store.LastAsync(cancellationToken).ConfigureAwait(false) is { } last)
        {
            _lastSeq = last.Seq;
            _lastHash = last.Hash;
        }

        _checkpointSeq = (await store.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false)).LastOrDefault()?.Seq ?? 0;

        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    /// <summary>Appends a record; completes when it is durable, with the record as linked into the chain.</summary>
    /// <exception cref="AuditUnavailableException">The record could not be made durable.</exception>
    public async Task<AuditRecord> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<AuditRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _pendingCount);
        if (!_pending.Writer.TryWrite((record, done)))
        {
            Interlocked.Decrement(ref _pendingCount);
            throw new AuditUnavailableException("the audit writer has stopped");
        }

        // The record's fate does not depend on the caller waiting: it is written either way.
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<(AuditRecord Record, TaskCompletionSource<AuditRecord> Done)>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            Interlocked.Add(ref _pendingCount, -batch.Count);

            var seq = _lastSeq;
            var hash = _lastHash;
            var linked = new List<AuditRecord>(batch.Count);
            foreach (var (record, _) in batch)
            {
                var link = AuditChain.Link(record, ++seq, hash);
                hash = link.Hash;
                linked.Add(link);
            }

            try
            {
                await store.AppendAsync(linked, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Healthy = false;
                LogWriteFailed(batch.Count, ex.Message);
                var failure = new AuditUnavailableException(ex.Message, ex);
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(failure);
                }

                continue;
            }

            _lastSeq = seq;
            _lastHash = hash;
            Committed += linked.Count;
            Healthy = true;
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Done.TrySetResult(linked[i]);
            }

            await CheckpointIfDueAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Signs a checkpoint after every N records or T seconds with new records (settings: audit.checkpointEvery, audit.checkpointInterval).</summary>
    private async Task CheckpointIfDueAsync()
    {
        var settings = config.Current.Audit;
        if (_lastSeq == _checkpointSeq
            || (_lastSeq - _checkpointSeq < settings.CheckpointEvery && System.Diagnostics.Stopwatch.GetElapsedTime(_checkpointAt) < settings.CheckpointInterval))
        {
            return;
        }

        try
        {
            await store.AddCheckpointAsync(signer.Sign(_lastSeq, _lastHash, DateTimeOffset.UtcNow), CancellationToken.None).ConfigureAwait(false);
            _checkpointSeq = _lastSeq;
            _checkpointAt = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        catch (Exception ex)
        {
            LogCheckpointFailed(_lastSeq, ex.Message);
        }
    }

    /// <summary>Writes what is waiting, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store the audit checkpoint at record {Seq}: {Reason}")]
    private partial void LogCheckpointFailed(long seq, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Audit store failed to commit {Count} records: {Reason}. Governed calls are refused until it recovers.")]
    private partial void LogWriteFailed(int count, string reason);
}
