using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.McpHttp;

namespace Portcullis.Benchmarks;

/// <summary>
/// An agent's <c>tools/call</c> body, from bytes to the typed params the pipeline reads: the strict JSON-RPC parse
/// (duplicate members refused, member names checked), then the params. Baseline: a plain parse of the body.
/// </summary>
[MemoryDiagnoser]
public class AgentRequestBenchmarks
{
    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo ParamsType = McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolRequestParams));
    private readonly ReadOnlySequence<byte> _body = new(Encoding.UTF8.GetBytes(
        """{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"tickets__get_ticket","arguments":{"id":"T-1001","fields":["title","state"]},"_meta":{"progressToken":7}}}"""));

    [Benchmark(Baseline = true)]
    public int ParseOnly()
    {
        using var document = JsonDocument.Parse(_body);
        return document.RootElement.GetPropertyCount();
    }

    [Benchmark]
    public int ParseRefusingDuplicates()
    {
        using var document = JsonDocument.Parse(_body, new JsonDocumentOptions { AllowDuplicateProperties = false });
        return document.RootElement.GetPropertyCount();
    }

    [Benchmark]
    public string? ParamsFromTheDocument()
    {
        using var document = JsonDocument.Parse(_body, new JsonDocumentOptions { AllowDuplicateProperties = false });
        return ((CallToolRequestParams?)document.RootElement.GetProperty("params").Deserialize(ParamsType))?.Name;
    }

    /// <summary>The message read by the SDK's general converter from the parsed document, as the strict parse did before requests were built directly.</summary>
    [Benchmark]
    public object? ParseThenSdkConverter()
    {
        using var document = JsonDocument.Parse(_body, new JsonDocumentOptions { AllowDuplicateProperties = false });
        return document.RootElement.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage)));
    }

    [Benchmark]
    public object? StrictParseOnly() => StrictJsonRpc.Parse(_body, out _);

    [Benchmark]
    public string? StrictParseThenParams()
    {
        var request = (JsonRpcRequest)StrictJsonRpc.Parse(_body, out _)!;
        return ((CallToolRequestParams?)JsonSerializer.Deserialize(request.Params, ParamsType))?.Name;
    }
}
