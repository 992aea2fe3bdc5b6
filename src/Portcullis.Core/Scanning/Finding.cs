namespace Portcullis.Scanning;

/// <summary>One thing the scanner found, where, and why it matters.</summary>
/// <param name="Rule">Detector id, e.g. <c>hidden-block</c>.</param>
/// <param name="Severity">How serious.</param>
/// <param name="Location">Where in the definition or payload (e.g. <c>inputSchema.properties.operation.enum[2]</c>).</param>
/// <param name="Reason">What was found, readable by a reviewer.</param>
public sealed record Finding(string Rule, Severity Severity, string Location, string Reason);
