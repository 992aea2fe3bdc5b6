using System.Buffers;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Portcullis.McpHttp;

/// <summary>
/// JSON-RPC parsing as the protocol demands it, stricter than ASP.NET's web defaults: member names are
/// case-sensitive, duplicate members are refused (two <c>id</c>s or two <c>method</c>s would let two readers of one
/// message disagree about what it says), <c>jsonrpc</c> must be exactly "2.0", and batches are refused.
/// </summary>
public static class StrictJsonRpc
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<RequestId> IdType = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<RequestId>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(RequestId));

    /// <summary>Parses one message, or returns the JSON-RPC error describing why it cannot be accepted.</summary>
    public static JsonRpcMessage? Parse(ReadOnlySequence<byte> body, out JsonRpcErrorDetail? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex) when (ex.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase))
        {
            error = new JsonRpcErrorDetail { Code = (int)McpErrorCode.InvalidRequest, Message = "Invalid Request: the message has a duplicate member name. " + ex.Message };
            return null;
        }
        catch (JsonException ex)
        {
            error = new JsonRpcErrorDetail { Code = (int)McpErrorCode.ParseError, Message = "Parse error: the body is not valid JSON. " + ex.Message };
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                error = Invalid("JSON-RPC batches are not supported; send one message per request.");
                return null;
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                error = Invalid("a JSON-RPC message must be a JSON object.");
                return null;
            }

            if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"))
            {
                error = Invalid("\"jsonrpc\" must be \"2.0\" (member names are case-sensitive).");
                return null;
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("jsonrpc" or "id" or "method" or "params" or "result" or "error"))
                {
                    error = Invalid($"unexpected member \"{property.Name}\" (member names are case-sensitive: jsonrpc, id, method, params, result, error).");
                    return null;
                }
            }

            if (root.TryGetProperty("method", out var method) && method.ValueKind != JsonValueKind.String)
            {
                error = Invalid("\"method\" must be a string.");
                return null;
            }

            if (root.TryGetProperty("id", out var id) && id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                error = Invalid("\"id\" must be a string or a number.");
                return null;
            }

            try
            {
                if (RequestOf(root, id, method) is { } request)
                {
                    error = null;
                    return request;
                }

                var message = root.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))) as JsonRpcMessage;
                error = message is null ? Invalid("the body does not hold a JSON-RPC message.") : null;
                return message;
            }
            catch (JsonException ex)
            {
                error = Invalid(ex.Message);
                return null;
            }
        }
    }

    /// <summary>
    /// A request (an id, a method, object params or none, nothing of a response) built from the parsed document: every
    /// agent call is one, and the SDK's general message converter costs more than the document's own parse. Anything
    /// else is left to that converter (null).
    /// </summary>
    private static JsonRpcRequest? RequestOf(JsonElement root, JsonElement id, JsonElement method)
    {
        if (id.ValueKind == JsonValueKind.Undefined || method.ValueKind == JsonValueKind.Undefined
            || root.TryGetProperty("result", out _) || root.TryGetProperty("error", out _))
        {
            return null;
        }

        var hasParams = root.TryGetProperty("params", out var parameters);
        if (hasParams && parameters.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return new JsonRpcRequest
        {
            Id = id.Deserialize(IdType),
            Method = method.GetString()!,
            // A copy: the document is returned to its pool when parsing ends.
            Params = hasParams ? System.Text.Json.Nodes.JsonObject.Create(parameters.Clone()) : null,
        };
    }

    /// <summary>The id of a request, for echoing in an error; default when absent.</summary>
    public static RequestId IdOf(JsonRpcMessage? message) => message is JsonRpcMessageWithId withId ? withId.Id : default;

    private static JsonRpcErrorDetail Invalid(string reason) =>
        new() { Code = (int)McpErrorCode.InvalidRequest, Message = "Invalid Request: " + reason };
}
