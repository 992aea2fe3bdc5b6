using System.Text;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.Samples.Conformance;

/// <summary>The tools the conformance suite calls by name.</summary>
internal static class FixtureTools
{
    /// <summary>A 1×1 PNG, base64.</summary>
    public const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

    /// <summary>A minimal WAV file, base64.</summary>
    public const string Wav = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

    public static IEnumerable<McpServerTool> All()
    {
        yield return Tool("test_simple_text", "Returns simple text content", () => "This is a simple text response for testing.");
        yield return Tool("test_image_content", "Returns image content", () => new ImageContentBlock { Data = Encoding.UTF8.GetBytes(Png), MimeType = "image/png" });
        yield return Tool("test_audio_content", "Returns audio content", () => new AudioContentBlock { Data = Encoding.UTF8.GetBytes(Wav), MimeType = "audio/wav" });
        yield return Tool("test_embedded_resource", "Returns an embedded resource", () => new EmbeddedResourceBlock
        {
            Resource = new TextResourceContents { Uri = "test://embedded-resource", MimeType = "text/plain", Text = "This is an embedded resource content." },
        });
        yield return Tool("test_multiple_content_types", "Returns text, image and resource content", () => new ContentBlock[]
        {
            new TextContentBlock { Text = "Multiple content types test:" },
            new ImageContentBlock { Data = Encoding.UTF8.GetBytes(Png), MimeType = "image/png" },
            new EmbeddedResourceBlock { Resource = new TextResourceContents { Uri = "test://mixed-content-resource", MimeType = "application/json", Text = "{\"test\":\"data\",\"value\":123}" } },
        });
        yield return Tool("test_tool_with_logging", "Sends log messages while it runs", async (McpServer server, CancellationToken ct) =>
        {
            foreach (var step in new[] { "Tool execution started", "Tool processing data", "Tool execution completed" })
            {
                await server.SendNotificationAsync(NotificationMethods.LoggingMessageNotification, new LoggingMessageNotificationParams { Level = LoggingLevel.Info, Logger = "conformance", Data = JsonSerializer.SerializeToElement(step) }, cancellationToken: ct);
                await Task.Delay(50, ct);
            }

            return "Tool with logging executed successfully";
        });
        yield return Tool("test_tool_with_progress", "Reports progress while it runs", async (McpServer server, RequestContext<CallToolRequestParams> context, CancellationToken ct) =>
        {
            if (context.Params?.ProgressToken is not { } token)
            {
                return "No progress token provided";
            }

            foreach (var progress in new[] { 0f, 50f, 100f })
            {
                await server.NotifyProgressAsync(token, new ProgressNotificationValue { Progress = progress, Total = 100 }, cancellationToken: ct);
                await Task.Delay(50, ct);
            }

            return token.ToString()!;
        });
        yield return Tool("test_error_handling", "Always fails", string () => throw new McpException("This tool intentionally returns an error for testing"));
        yield return Tool("test_sampling", "Asks the client's model to complete a prompt", async (McpServer server, string prompt, CancellationToken ct) =>
        {
            var result = await server.SampleAsync(new CreateMessageRequestParams
            {
                Messages = [new SamplingMessage { Role = Role.User, Content = [new TextContentBlock { Text = prompt }] }],
                MaxTokens = 100,
            }, ct);
            return "LLM response: " + string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        });
        yield return Tool("test_elicitation", "Asks the user for input", async (McpServer server, string message, CancellationToken ct) =>
        {
            var result = await server.ElicitAsync(new ElicitRequestParams
            {
                Message = message,
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties = { ["response"] = new ElicitRequestParams.StringSchema { Description = "User's response" } },
                    Required = ["response"],
                },
            }, ct);
            return $"User response: action={result.Action}, content={JsonSerializer.Serialize(result.Content)}";
        });
        yield return Tool("test_elicitation_sep1034_defaults", "Elicitation with default values", async (McpServer server, CancellationToken ct) =>
        {
            var result = await server.ElicitAsync(new ElicitRequestParams
            {
                Message = "Test elicitation with default values for primitive types",
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties =
                    {
                        ["name"] = new ElicitRequestParams.StringSchema { Description = "Name", Default = "John Doe" },
                        ["age"] = new ElicitRequestParams.NumberSchema { Type = "integer", Description = "Age", Default = 30 },
                        ["score"] = new ElicitRequestParams.NumberSchema { Description = "Score", Default = 95.5 },
                        ["status"] = new ElicitRequestParams.UntitledSingleSelectEnumSchema { Description = "Status", Enum = ["active", "inactive", "pending"], Default = "active" },
                        ["verified"] = new ElicitRequestParams.BooleanSchema { Description = "Verified", Default = true },
                    },
                },
            }, ct);
            return $"Elicitation completed: action={result.Action}, content={JsonSerializer.Serialize(result.Content)}";
        });
        yield return Tool("test_elicitation_sep1330_enums", "Elicitation with enum schemas", async (McpServer server, CancellationToken ct) =>
        {
            var result = await server.ElicitAsync(new ElicitRequestParams
            {
                Message = "Test elicitation with enum schema",
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties =
                    {
                        ["untitledSingle"] = new ElicitRequestParams.UntitledSingleSelectEnumSchema { Description = "Choose an option", Enum = ["option1", "option2", "option3"] },
                        ["titledSingle"] = new ElicitRequestParams.TitledSingleSelectEnumSchema
                        {
                            Description = "Choose a titled option",
                            OneOf = [new() { Const = "value1", Title = "First Option" }, new() { Const = "value2", Title = "Second Option" }, new() { Const = "value3", Title = "Third Option" }],
                        },
#pragma warning disable MCP9001 // The legacy enumNames form is what this scenario checks.
                        ["legacyEnum"] = new ElicitRequestParams.LegacyTitledEnumSchema { Description = "Choose a legacy option", Enum = ["opt1", "opt2", "opt3"], EnumNames = ["Option One", "Option Two", "Option Three"] },
#pragma warning restore MCP9001
                        ["untitledMulti"] = new ElicitRequestParams.UntitledMultiSelectEnumSchema { Description = "Choose multiple options", Items = new ElicitRequestParams.UntitledEnumItemsSchema { Enum = ["option1", "option2", "option3"] } },
                        ["titledMulti"] = new ElicitRequestParams.TitledMultiSelectEnumSchema
                        {
                            Description = "Choose multiple titled options",
                            Items = new ElicitRequestParams.TitledEnumItemsSchema { AnyOf = [new() { Const = "value1", Title = "First Choice" }, new() { Const = "value2", Title = "Second Choice" }, new() { Const = "value3", Title = "Third Choice" }] },
                        },
                    },
                },
            }, ct);
            return $"Elicitation completed: action={result.Action}, content={JsonSerializer.Serialize(result.Content)}";
        });

        // Not a conformance fixture: lets tests see cancellation arrive upstream (reported on stderr, which the gateway logs).
        yield return Tool("slow_operation", "Waits until cancelled or 60 s pass", async (string tag, CancellationToken ct) =>
        {
            try
            {
                await Console.Error.WriteLineAsync($"slow_operation {tag} started");
                await Task.Delay(TimeSpan.FromSeconds(60), ct);
                return "finished";
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"slow_operation {tag} cancelled");
                throw;
            }
        });

        var schemaTool = Tool("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", () => "JSON Schema 2020-12 tool executed successfully");
        schemaTool.ProtocolTool.InputSchema = JsonElement.Parse("""
            {
              "$schema": "https://json-schema.org/draft/2020-12/schema",
              "type": "object",
              "$defs": { "address": { "type": "object", "properties": { "street": { "type": "string" }, "city": { "type": "string" } } } },
              "properties": { "name": { "type": "string" }, "address": { "$ref": "#/$defs/address" } },
              "additionalProperties": false
            }
            """);
        yield return schemaTool;
    }

    private static McpServerTool Tool(string name, string description, Delegate body) =>
        McpServerTool.Create(body, new McpServerToolCreateOptions { Name = name, Description = description });
}
