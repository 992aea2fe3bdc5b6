using System.Collections.Frozen;
using Portcullis.Identity;

namespace Portcullis.Limits;

/// <summary>
/// The engaged kill switches, checked on every call from an immutable snapshot, and the calls in flight they can cut:
/// engaging a switch refuses new calls at once and cancels the matching calls already under way.
/// </summary>
public sealed class KillSwitches(IKillSwitchStore store, TimeProvider time)
{
    private FrozenDictionary<(KillTarget, string), KillSwitch> _engaged = FrozenDictionary<(KillTarget, string), KillSwitch>.Empty;
    private readonly Lock _inFlightLock = new();
    private readonly LinkedList<InFlight> _inFlight = new();

    /// <summary>Raised after a member switch is engaged, so the front door can close the member's sessions.</summary>
    public event Func<string, Task>? MemberKilled;

    /// <summary>
    /// Loads the engaged switches from the store: at start, and again when a replica sharing the store changed them.
    /// Switches it engaged stop new and in-flight calls here too, and close the member's sessions; switches it
    /// released stop nothing any more.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var stored = (await store.ListAsync(cancellationToken).ConfigureAwait(false)).ToFrozenDictionary(k => (k.Target, k.Id));
        await ApplyAsync(_ => stored).ConfigureAwait(false);
    }

    /// <summary>All engaged switches.</summary>
    public IReadOnlyCollection<KillSwitch> Engaged => _engaged.Values;

    /// <summary>The switch that stops this call, if any: the server's, the tool's or the member's.</summary>
    public KillSwitch? Stopping(string serverId, string toolQualifiedName, Principal principal)
    {
        var engaged = Volatile.Read(ref _engaged);
        if (engaged.Count == 0)
        {
            return null;
        }

        return engaged.GetValueOrDefault((KillTarget.Server, serverId))
            ?? engaged.GetValueOrDefault((KillTarget.Tool, toolQualifiedName))
            ?? engaged.GetValueOrDefault((KillTarget.Member, principal.Subject));
    }

    /// <summary>True when the member is switched off.</summary>
    public bool IsMemberKilled(string subject) => Volatile.Read(ref _engaged).ContainsKey((KillTarget.Member, subject));

    /// <summary>Engages a switch: persists it, refuses new calls, cancels matching calls in flight, and for a member closes their sessions.</summary>
    public async Task<KillSwitch> EngageAsync(KillTarget target, string id, string engagedBy, string? reason, CancellationToken cancellationToken)
    {
        var kill = new KillSwitch(target, id, time.GetUtcNow(), engagedBy, reason);
        await store.EngageAsync(kill, cancellationToken).ConfigureAwait(false);
        await ApplyAsync(engaged => engaged.Where(k => k.Key != (target, id)).Append(new KeyValuePair<(KillTarget, string), KillSwitch>((target, id), kill)).ToFrozenDictionary(k => k.Key, k => k.Value)).ConfigureAwait(false);
        return kill;
    }

    /// <summary>Puts the switches <paramref name="next"/> makes of the current ones in force: cancels the calls in flight they stop and closes newly killed members' sessions.</summary>
    private async Task ApplyAsync(Func<FrozenDictionary<(KillTarget, string), KillSwitch>, FrozenDictionary<(KillTarget, string), KillSwitch>> next)
    {
        List<(InFlight Call, KillSwitch By)> cut = [];
        List<string> members;
        lock (_inFlightLock)
        {
            var engaged = next(_engaged);
            members = engaged.Keys.Where(k => k.Item1 == KillTarget.Member && !_engaged.ContainsKey(k)).Select(k => k.Item2).ToList();
            Volatile.Write(ref _engaged, engaged);
            foreach (var call in _inFlight)
            {
                if (Stopping(call.ServerId, call.Tool, call.Principal) is { } stopping)
                {
                    cut.Add((call, stopping));
                }
            }
        }

        // Cancelling runs the calls' continuations; never under the lock.
        foreach (var (call, by) in cut)
        {
            call.Cut(by);
        }

        if (MemberKilled is { } handler)
        {
            foreach (var member in members)
            {
                await handler(member).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Releases a switch; false when it was not engaged.</summary>
    public async Task<bool> ReleaseAsync(KillTarget target, string id, CancellationToken cancellationToken)
    {
        var released = await store.ReleaseAsync(target, id, cancellationToken).ConfigureAwait(false);
        await ApplyAsync(engaged => engaged.Where(k => k.Key != (target, id)).ToFrozenDictionary(k => k.Key, k => k.Value)).ConfigureAwait(false);
        return released;
    }

    /// <summary>Registers a call under way so a switch engaged meanwhile can cut it. Dispose when the call ends.</summary>
    public InFlight Track(string serverId, string tool, Principal principal, CancellationToken callToken)
    {
        var call = new InFlight(this, serverId, tool, principal, callToken);
        KillSwitch? stopping;
        lock (_inFlightLock)
        {
            call.Node = _inFlight.AddLast(call);
            stopping = Stopping(serverId, tool, principal);
        }

        if (stopping is not null)
        {
            call.Cut(stopping); // engaged between the kill stage and now
        }

        return call;
    }

    /// <summary>One call under way.</summary>
    public sealed class InFlight : IDisposable
    {
        private readonly KillSwitches _owner;
        private readonly CancellationTokenSource _cut;

        internal InFlight(KillSwitches owner, string serverId, string tool, Principal principal, CancellationToken callToken)
        {
            _owner = owner;
            ServerId = serverId;
            Tool = tool;
            Principal = principal;
            _cut = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        }

        internal LinkedListNode<InFlight>? Node { get; set; }

        internal string ServerId { get; }

        internal string Tool { get; }

        internal Principal Principal { get; }

        /// <summary>Cancelled when the call's own token is, or a kill switch cuts the call.</summary>
        public CancellationToken Token => _cut.Token;

        /// <summary>The switch that cut the call, if one did.</summary>
        public KillSwitch? CutBy { get; private set; }

        internal void Cut(KillSwitch kill)
        {
            CutBy ??= kill;
            try
            {
                _cut.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The call ended meanwhile.
            }
        }

        /// <inheritdoc />
        public void Dispose()
        {
            lock (_owner._inFlightLock)
            {
                if (Node?.List is not null)
                {
                    _owner._inFlight.Remove(Node);
                }
            }

            _cut.Dispose();
        }
    }
}
