using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.Pipeline.Stages;

namespace Portcullis.Benchmarks;

/// <summary>
/// The upstream's <c>tools/call</c> request, from the agent's typed params to the bytes sent, as the HTTP upstream
/// reads it (its name header) and writes it. Baseline: the params serialized into a node tree, as before.
/// </summary>
[MemoryDiagnoser]
public class UpstreamRequestBenchmarks
{
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo MessageType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage));
    private IDictionary<string, JsonElement> _arguments = null!;

    [GlobalSetup]
    public void Setup() =>
        _arguments = JsonSerializer.Deserialize<CallToolRequestParams>("""{"name":"get_ticket","arguments":{"id":"T-1001","fields":["title","state"],"options":{"history":false,"limit":20}}}""", McpJsonUtilities.DefaultOptions)!.Arguments!;

    [Benchmark(Baseline = true)]
    public int SerializedIntoATree() =>
        Send(JsonSerializer.SerializeToNode(new CallToolRequestParams { Name = "get_ticket", Arguments = _arguments, Meta = Meta() }, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolRequestParams))));

    [Benchmark]
    public int BuiltFromTheArguments() => Send(UpstreamStage.ToolCallParams("get_ticket", _arguments, Meta()));

    private static JsonObject Meta() => new() { ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };

    private static int Send(JsonNode? parameters)
    {
        var request = new JsonRpcRequest { Id = new RequestId("portcullis-1"), Method = RequestMethods.ToolsCall, Params = parameters };
        var name = request.Params?["name"]?.GetValue<string>();
        return JsonSerializer.SerializeToUtf8Bytes(request, MessageType).Length + name!.Length;
    }
}
