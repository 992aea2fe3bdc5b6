using System.Collections.Concurrent;
using ModelContextProtocol.Protocol;
using Portcullis.Audit;
using Portcullis.Configuration;
using Portcullis.Policy;

namespace Portcullis.Pipeline.Stages;

/// <summary>
/// For calls that change things (risk write or above): a duplicate — same idempotency key from the request's
/// <c>_meta</c>, or by default the same principal, tool and arguments within the window — gets the first execution's
/// result instead of executing again. Concurrent duplicates wait for the one execution. A failed execution is not
/// remembered, so a retry can run.
/// </summary>
public sealed class IdempotencyStage(GatewayConfigProvider config, TimeProvider time) : IGovernedCallStage
{
    /// <summary>The <c>_meta</c> key an agent may set.</summary>
    public const string MetaKey = "idempotencyKey";

    private readonly ConcurrentDictionary<string, Entry> _executions = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Name => "idempotency";

    /// <inheritdoc />
    public async ValueTask InvokeAsync(GovernedCall call, CancellationToken cancellationToken)
    {
        var settings = config.Current.Idempotency;
        if (call.Kind != CallKind.ToolCall || call.Decision is not { Risk: >= RiskClass.Write } || Key(call, settings) is not { } key)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var stale in _executions.Where(e => e.Value.ExpiresAt <= now))
        {
            _executions.TryRemove(stale);
        }

        var mine = new Entry(now + settings.Window);
        var entry = _executions.GetOrAdd(key, mine);
        if (!ReferenceEquals(entry, mine))
        {
            var first = await entry.Result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (first is not null)
            {
                call.Actions.Add("answered with the result of an earlier identical execution (idempotency)");
                call.Answer(first);
                return;
            }

            // The first execution failed, and its completion already forgot exactly that entry: one waiter claims the
            // key next and the others wait for it. Removing here whatever the key holds would evict that claim.
            entry = _executions.GetOrAdd(key, mine);
            if (!ReferenceEquals(entry, mine))
            {
                await InvokeAsync(call, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        call.Hold(new Completion(this, key, mine, call));
    }

    private static string? Key(GovernedCall call, IdempotencyConfig settings)
    {
        var principal = call.Principal.SessionOwnerKey;
        if (call.Params.Meta?[MetaKey]?.ToString() is { Length: > 0 } explicitKey)
        {
            return $"{principal}|{call.QualifiedName}|key:{explicitKey}";
        }

        return settings.DeriveKeys && AuditRecords.Arguments(call).Hash is { } hash ? $"{principal}|{call.QualifiedName}|args:{hash}" : null;
    }

    private sealed class Entry(DateTimeOffset expiresAt)
    {
        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        /// <summary>The first execution's result, or null when it failed.</summary>
        public TaskCompletionSource<CallToolResult?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>When the executing call ends: remember its result, or forget a failure so it can be retried.</summary>
    private sealed class Completion(IdempotencyStage owner, string key, Entry entry, GovernedCall call) : IDisposable
    {
        public void Dispose()
        {
            if (call.Rejection is null && call.Result is CallToolResult { IsError: not true } result)
            {
                entry.Result.TrySetResult(result);
            }
            else
            {
                owner._executions.TryRemove(new KeyValuePair<string, Entry>(key, entry));
                entry.Result.TrySetResult(null);
            }
        }
    }
}
