using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ModelContextProtocol.Protocol;
using Portcullis.Registry;
using Portcullis.Upstreams;

namespace Portcullis.Benchmarks;

/// <summary>
/// The registry's two costs. Per call: is this tool exposed as pinned (a lookup in the view cached per catalog
/// snapshot). Per catalog change (connect, list_changed): pinning every definition of a 20-tool server (canonical
/// JSON + SHA-256) and comparing it with the approved pins. Baseline: one dictionary lookup.
/// </summary>
[MemoryDiagnoser]
public class PinCheckBenchmarks
{
    private readonly Dictionary<string, string> _plain = new(StringComparer.Ordinal);
    private UpstreamCatalog _catalog = null!;
    private RegistryView _view = null!;
    private Dictionary<string, Pin> _approved = null!;

    [GlobalSetup]
    public void Setup()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"id":{"type":"integer","description":"Ticket id."},"status":{"type":"string","enum":["open","closed"]}},"required":["id"]}""").RootElement;
        _catalog = new UpstreamCatalog(
            [.. Enumerable.Range(0, 20).Select(i => new Tool { Name = $"tool_{i}", Description = $"Does thing {i} with the ticket tracker; read-only.", InputSchema = schema, Annotations = new ToolAnnotations { ReadOnlyHint = true } })],
            [], [], []);
        _approved = Pinning.PinsOf(_catalog, "A ticket tracker.").ToDictionary(p => p.Key, StringComparer.Ordinal);
        _view = new RegistryView(ServerState.Approved, new Dictionary<string, string>(StringComparer.Ordinal) { ["tool_19"] = "held" }, []);
        _plain["tool_7"] = "x";
    }

    [Benchmark(Baseline = true)]
    public bool DictionaryLookup() => _plain.ContainsKey("tool_7");

    [Benchmark]
    public bool PerCallExposes() => _view.Exposes("tool_7");

    [Benchmark]
    public int PerCatalogChangePinAndCompare()
    {
        var changed = 0;
        foreach (var pin in Pinning.PinsOf(_catalog, "A ticket tracker."))
        {
            if (!_approved.TryGetValue(pin.Key, out var approved) || approved.Hash != pin.Hash)
            {
                changed++;
            }
        }

        return changed;
    }
}
