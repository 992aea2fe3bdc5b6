using Microsoft.Extensions.Logging;

namespace Portcullis.Audit;

/// <summary>
/// Appends records to the chain with group commit: callers enqueue and wait; whichever caller finds no write under
/// way links everything waiting, in order, and commits it in one transaction on its own thread, so durability costs
/// one commit per batch, not per call, and a lone call pays no hand-off to a writer thread. A caller is released only
/// once its record is durable. If the store fails, every caller in the batch gets
/// <see cref="AuditUnavailableException"/> and the chain does not advance.
/// </summary>
public sealed partial class AuditLog(IAuditStore store, AuditSigner signer, Configuration.GatewayConfigProvider config, ILogger<AuditLog> logger) : IAsyncDisposable
{
    private long _checkpointSeq;
    private int _pendingCount;
    private long _checkpointAt = System.Diagnostics.Stopwatch.GetTimestamp();
    private const int MaxBatch = 512;

    // Replicas sharing a store take turns at its head; a batch that loses this many races in a row fails closed.
    private const int MaxRelinks = 64;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(AuditRecord Record, TaskCompletionSource<AuditRecord> Done)> _pending = new();
    private readonly List<(AuditRecord Record, TaskCompletionSource<AuditRecord> Done)> _batch = new(MaxBatch);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private volatile bool _stopped;
    private int _lastBatchSize;
    private long _lastSeq;
    private string _lastHash = AuditChain.Genesis;

    /// <summary>Number of records committed by this process.</summary>
    public long Committed { get; private set; }

    /// <summary>Records waiting to be committed (audit lag).</summary>
    public int Pending => Volatile.Read(ref _pendingCount);

    /// <summary>False after a batch failed to commit, until one succeeds again.</summary>
    public bool Healthy { get; private set; } = true;

    /// <summary>Reads where the chain ends.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await store.HeadAsync(cancellationToken).ConfigureAwait(false) is { } head)
        {
            (_lastSeq, _lastHash) = head;
        }

        _checkpointSeq = (await store.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false)).LastOrDefault()?.Seq ?? 0;
    }

    /// <summary>Appends a record; completes when it is durable, with the record as linked into the chain.</summary>
    /// <exception cref="AuditUnavailableException">The record could not be made durable.</exception>
    public async Task<AuditRecord> AppendAsync(AuditRecord record, CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            throw new AuditUnavailableException("the audit writer has stopped");
        }

        var done = new TaskCompletionSource<AuditRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref _pendingCount);
        _pending.Enqueue((record, done));
        if (_writing.Wait(0))
        {
            // No write under way: this caller commits what is waiting, its own record included. Under load (the last
            // batch held several records, or work is queued on the pool) it first lets the calls already queued reach
            // this point, so one commit carries more records (at 64 agents, 5 instead of 2.5); a lone caller commits
            // at once. The queue matters on one core: there no other call can enqueue during a commit, so the last
            // batch alone would keep every batch at one record.
            if (Volatile.Read(ref _lastBatchSize) > 1 || ThreadPool.PendingWorkItemCount > 0)
            {
                await Task.Yield();
            }

            await WriteBatchAndReleaseAsync().ConfigureAwait(false);
        }

        // The record's fate does not depend on the caller waiting: it is written either way.
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits one batch while holding the write lock; hands what arrived meanwhile to a pool thread.</summary>
    private async Task WriteBatchAndReleaseAsync()
    {
        try
        {
            await WriteBatchAsync().ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }

        // Records queued during the commit found the lock taken; their writer is whoever takes it now.
        if (!_pending.IsEmpty && _writing.Wait(0))
        {
            _ = Task.Run(WriteBatchAndReleaseAsync);
        }
    }

    private async Task WriteBatchAsync()
    {
        var batch = _batch;
        batch.Clear();
        while (batch.Count < MaxBatch && _pending.TryDequeue(out var item))
        {
            batch.Add(item);
        }

        if (batch.Count == 0)
        {
            return;
        }

        Interlocked.Add(ref _pendingCount, -batch.Count);
        Volatile.Write(ref _lastBatchSize, batch.Count);
        var linked = new LinkedAuditRecord[batch.Count];
        for (var attempt = 1; ; attempt++)
        {
            var (seq, hash) = (_lastSeq, _lastHash);
            for (var i = 0; i < batch.Count; i++)
            {
                linked[i] = AuditChain.LinkForStorage(batch[i].Record, ++seq, hash);
                hash = linked[i].Record.Hash;
            }

            try
            {
                await store.AppendAsync(linked, CancellationToken.None).ConfigureAwait(false);
                break;
            }
            catch (AuditChainMovedException moved) when (attempt < MaxRelinks)
            {
                // A replica sharing the store appended first: link the batch after its records and try again.
                (_lastSeq, _lastHash) = (moved.Seq, moved.Hash);
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

                return;
            }
        }

        _lastSeq = linked[^1].Record.Seq;
        _lastHash = linked[^1].Record.Hash;
        Committed += linked.Length;
        Healthy = true;
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Done.TrySetResult(linked[i].Record);
        }

        await CheckpointIfDueAsync().ConfigureAwait(false);
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
        _stopped = true;
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            while (!_pending.IsEmpty)
            {
                await WriteBatchAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not store the audit checkpoint at record {Seq}: {Reason}")]
    private partial void LogCheckpointFailed(long seq, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Audit store failed to commit {Count} records: {Reason}. Governed calls are refused until it recovers.")]
    private partial void LogWriteFailed(int count, string reason);
}
