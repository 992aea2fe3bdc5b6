using System.Diagnostics;
using System.Diagnostics.Metrics;
using Portcullis.Pipeline;
using Portcullis.Upstreams;

namespace Portcullis.Telemetry;

/// <summary>
/// The gateway's traces and metrics, both named <c>Portcullis</c>: a span per governed call, and counters and a
/// latency histogram per call, denials by deciding stage, upstream health, live sessions and audit records.
/// </summary>
public sealed class GatewayTelemetry
{
    /// <summary>Name of the activity source and the meter.</summary>
    public const string Name = "Portcullis";

    /// <summary>Where governed-call spans come from.</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _calls;
    private readonly Counter<long> _denials;
    private readonly Histogram<double> _duration;

    /// <summary>Creates the instruments; <paramref name="upstreams"/>, <paramref name="sessions"/> and <paramref name="auditRecords"/> are observed at collection.</summary>
    public GatewayTelemetry(IMeterFactory meters, UpstreamPool upstreams, Func<int> sessions, Func<long> auditRecords, Func<int> auditPending)
    {
        var meter = meters.Create(Name);
        _calls = meter.CreateCounter<long>("portcullis.calls", description: "Governed calls, by kind, server and outcome");
        _denials = meter.CreateCounter<long>("portcullis.denials", description: "Calls stopped, by the stage that stopped them and why");
        _duration = meter.CreateHistogram<double>("portcullis.call.duration", unit: "ms", description: "End-to-end time of governed calls");
        meter.CreateObservableGauge("portcullis.upstream.up", () => upstreams.All.Select(u => new Measurement<int>(u.State == UpstreamState.Ready ? 1 : 0, new KeyValuePair<string, object?>("server", u.Id))), description: "1 when the upstream server is connected");
        meter.CreateObservableGauge("portcullis.upstream.restarts", () => upstreams.All.Select(u => new Measurement<int>(u.Restarts, new KeyValuePair<string, object?>("server", u.Id))), description: "Reconnects after a loss");
        meter.CreateObservableGauge("portcullis.sessions", () => sessions(), description: "Live agent sessions");
        meter.CreateObservableCounter("portcullis.audit.records", () => auditRecords(), description: "Audit records committed by this process");
        meter.CreateObservableGauge("portcullis.audit.pending", () => auditPending(), description: "Audit records waiting to be committed (lag)");
    }

    /// <summary>Records a finished call.</summary>
    public void Record(GovernedCall call, double milliseconds)
    {
        var kind = call.Kind switch { CallKind.ToolCall => "tools/call", CallKind.ResourceRead => "resources/read", _ => "prompts/get" };
        var outcome = call.Rejection?.Reason.ToString().ToLowerInvariant() ?? "success";
        var server = call.Upstream?.Id ?? "";
        _calls.Add(1, new("kind", kind), new("server", server), new("outcome", outcome));
        _duration.Record(milliseconds, new("kind", kind), new("outcome", outcome));
        if (call.Rejection is { } rejection)
        {
            _denials.Add(1, new("stage", rejection.Stage), new("reason", outcome));
        }
    }
}
