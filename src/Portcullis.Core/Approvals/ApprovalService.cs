using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Portcullis.Configuration;
using Portcullis.Identity;

namespace Portcullis.Approvals;

/// <summary>
/// Held calls and their decisions. A request is bound to one requester, one tool and the exact arguments' hash; an
/// approver must hold an approver role and can never be the requester; a two-person rule needs two distinct
/// approvers; an approval is used once and expires. Decisions wake the waiting call at once.
/// </summary>
public sealed partial class ApprovalService(IApprovalStore store, GatewayConfigProvider config, TimeProvider time, ILogger<ApprovalService> logger)
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _decided = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Raised after a request is created (<c>approval.requested</c>) or decided (<c>approval.decided</c>).</summary>
    public event Action<string, ApprovalRequest>? Changed;

    /// <summary>The live request for this principal, tool and arguments, or a new one.</summary>
    public async Task<ApprovalRequest> FindOrCreateAsync(Principal requester, string serverId, string tool, string argumentsHash, string? redactedArguments, string risk, string reason, int ruleApprovers, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var existing = await store.FindAsync(requester.SessionOwnerKey, tool, argumentsHash, cancellationToken).ConfigureAwait(false);
            if (existing is { Status: ApprovalStatus.Pending or ApprovalStatus.Approved or ApprovalStatus.Denied })
            {
                if (existing.ExpiresAt > time.GetUtcNow())
                {
                    return existing;
                }

                await store.SaveAsync(existing with { Status = ApprovalStatus.Expired }, cancellationToken).ConfigureAwait(false);
            }

            var settings = config.Current.Approvals;
            var now = time.GetUtcNow();
            var request = new ApprovalRequest
            {
                Id = "apr_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)),
                Requester = requester.Subject,
                RequesterKey = requester.SessionOwnerKey,
                Agent = requester.Agent,
                ServerId = serverId,
                Tool = tool,
                Arguments = redactedArguments,
                ArgumentsHash = argumentsHash,
                Risk = risk,
                Reason = reason,
                RequiredApprovals = Math.Max(ruleApprovers, settings.TwoPersonRisk.Contains(risk, StringComparer.OrdinalIgnoreCase) ? 2 : 1),
                Status = ApprovalStatus.Pending,
                CreatedAt = now,
                ExpiresAt = now + settings.Expiry,
            };
            await store.SaveAsync(request, cancellationToken).ConfigureAwait(false);
            LogRequested(request.Id, request.Requester, request.Tool, request.RequiredApprovals);
            Changed?.Invoke("approval.requested", request);
            return request;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Waits up to <paramref name="wait"/> for a decision on a pending request; returns it as it then stands.</summary>
    public async Task<ApprovalRequest> WaitAsync(ApprovalRequest request, TimeSpan wait, Func<TimeSpan, Task>? whileWaiting, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            // The signal is taken before the store is read, so a decision made between the two still wakes this wait.
            var signal = _decided.GetOrAdd(request.Id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            var current = await store.GetAsync(request.Id, cancellationToken).ConfigureAwait(false) ?? request;
            var waited = time.GetElapsedTime(started);
            if (current.Status != ApprovalStatus.Pending || waited >= wait)
            {
                return current;
            }

            if (whileWaiting is not null)
            {
                await whileWaiting(waited).ConfigureAwait(false);
            }

            // Wake on a decision, or every few seconds to tell the agent it is still waiting.
            var slice = TimeSpan.FromTicks(Math.Min((wait - waited).Ticks, TimeSpan.FromSeconds(5).Ticks));
            await Task.WhenAny(signal.Task, Task.Delay(slice, time, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Wakes every held call to read its request again: a replica sharing the store may have decided it.</summary>
    public void Wake()
    {
        foreach (var id in _decided.Keys)
        {
            if (_decided.TryRemove(id, out var signal))
            {
                signal.TrySetResult();
            }
        }
    }

    /// <summary>Records an approver's decision; returns the updated request, or why the decision is refused.</summary>
    public async Task<(ApprovalRequest? Request, string? Refusal)> DecideAsync(string id, Principal approver, bool approve, string? reason, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var request = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return (null, $"no approval request '{id}'");
            }

            if (!config.Current.Approvals.ApproverRoles.Any(approver.IsInRole))
            {
                return (request, $"'{approver.Subject}' may not decide approvals: that needs one of the roles {string.Join(", ", config.Current.Approvals.ApproverRoles)}");
            }

            if (approver.SessionOwnerKey == request.RequesterKey || approver.Subject == request.Requester)
            {
                return (request, "the requester can never approve or deny their own call");
            }

            if (request.Status != ApprovalStatus.Pending)
            {
                return (request, $"request {id} is already {request.Status.ToString().ToLowerInvariant()}");
            }

            var now = time.GetUtcNow();
            if (now >= request.ExpiresAt)
            {
                await store.SaveAsync(request with { Status = ApprovalStatus.Expired }, cancellationToken).ConfigureAwait(false);
                return (request, $"request {id} has expired");
            }

            if (request.Approvals.Any(a => a.Approver == approver.Subject))
            {
                return (request, $"'{approver.Subject}' has already approved request {id}; a second approval must come from someone else");
            }

            var decision = new ApprovalDecision(approver.Subject, now, reason);
            var updated = approve
                ? request with { Approvals = [.. request.Approvals, decision], Status = request.Approvals.Count + 1 >= request.RequiredApprovals ? ApprovalStatus.Approved : ApprovalStatus.Pending }
                : request with { Denial = decision, Status = ApprovalStatus.Denied };
            if (!await store.ReplaceAsync(request, updated, cancellationToken).ConfigureAwait(false))
            {
                return (request, $"request {id} changed while this decision was made (another gateway replica decided it); look at it again");
            }

            LogDecided(id, approver.Subject, updated.Status.ToString());
            Changed?.Invoke("approval.decided", updated);
            if (updated.Status != ApprovalStatus.Pending && _decided.TryRemove(id, out var signal))
            {
                signal.TrySetResult();
            }

            return (updated, null);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Uses an approval for the call it was given for; false when it is not (or no longer) usable.</summary>
    public async Task<bool> TryConsumeAsync(string id, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var request = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (request is not { Status: ApprovalStatus.Approved } || time.GetUtcNow() >= request.ExpiresAt)
            {
                return false;
            }

            // Single use even across replicas: only one replace from Approved to Used can succeed.
            return await store.ReplaceAsync(request, request with { Status = ApprovalStatus.Used }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval request {Id}: {Requester} asks to call {Tool} ({Required} approvals needed)")]
    private partial void LogRequested(string id, string requester, string tool, int required);

    [LoggerMessage(Level = LogLevel.Information, Message = "Approval request {Id}: {Approver} decided, now {Status}")]
    private partial void LogDecided(string id, string approver, string status);
}
