using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Portcullis.McpHttp;
using Portcullis.Samples.Conformance;

// Usage: Portcullis.Samples.Conformance [--http [--urls http://127.0.0.1:0]]   (stdio by default)
await McpServerHost.RunAsync(args, "conformance-fixture", () => new McpServerOptions
{
    ServerInfo = new Implementation { Name = "conformance-fixture", Version = "1.0.0" },
    ToolCollection = [.. FixtureTools.All()],
    ResourceCollection = [.. FixtureCatalog.Resources()],
    PromptCollection = [.. FixtureCatalog.Prompts()],
    Capabilities = new ServerCapabilities { Logging = new LoggingCapability(), Completions = new CompletionsCapability() },
    Handlers = new McpServerHandlers
    {
        CompleteHandler = (request, _) =>
        {
            var prefix = request.Params?.Argument.Value ?? "";
            string[] values = request.Params?.Argument.Name switch
            {
                "arg1" or "arg2" => ["paris", "park", "party"],
                _ => [],
            };
            var matches = values.Where(v => v.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            return ValueTask.FromResult(new CompleteResult { Completion = new Completion { Values = matches, Total = matches.Count, HasMore = false } });
        },
        SetLoggingLevelHandler = (_, _) => ValueTask.FromResult(new EmptyResult()),
        SubscribeToResourcesHandler = (_, _) => ValueTask.FromResult(new EmptyResult()),
        UnsubscribeFromResourcesHandler = (_, _) => ValueTask.FromResult(new EmptyResult()),
    },
});
