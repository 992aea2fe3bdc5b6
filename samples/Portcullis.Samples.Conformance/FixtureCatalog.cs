using System.Text;
using System.Text.Json;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Portcullis.Samples.Conformance;

/// <summary>The resources and prompts the conformance suite reads by name.</summary>
internal static class FixtureCatalog
{
    public static IEnumerable<McpServerResource> Resources()
    {
        yield return McpServerResource.Create(() => "This is the content of the static text resource.", new() { UriTemplate = "test://static-text", Name = "Static Text Resource", MimeType = "text/plain", Description = "A static text resource" });
        yield return McpServerResource.Create(() => new BlobResourceContents { Uri = "test://static-binary", MimeType = "image/png", Blob = Encoding.UTF8.GetBytes(FixtureTools.Png) }, new() { UriTemplate = "test://static-binary", Name = "Static Binary Resource", MimeType = "image/png", Description = "A static binary resource" });
        yield return McpServerResource.Create((string id) => new TextResourceContents
        {
            Uri = $"test://template/{id}/data",
            MimeType = "application/json",
            Text = JsonSerializer.Serialize(new Dictionary<string, string> { ["id"] = id, ["templateTest"] = "true", ["data"] = $"Data for ID: {id}" }),
        }, new() { UriTemplate = "test://template/{id}/data", Name = "Resource Template", MimeType = "application/json", Description = "A resource template with parameter substitution" });
        yield return McpServerResource.Create(() => "Watched resource content", new() { UriTemplate = "test://watched-resource", Name = "Watched Resource", MimeType = "text/plain", Description = "A resource that can be subscribed to" });
    }

    public static IEnumerable<McpServerPrompt> Prompts()
    {
        yield return McpServerPrompt.Create(() => "This is a simple prompt without arguments", new() { Name = "test_simple_prompt", Description = "Simple prompt without arguments" });
        yield return McpServerPrompt.Create((string arg1, string arg2) => $"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'", new() { Name = "test_prompt_with_arguments", Description = "Parameterized prompt" });
        yield return McpServerPrompt.Create((string resourceUri) => new[]
        {
            new PromptMessage { Role = Role.User, Content = new EmbeddedResourceBlock { Resource = new TextResourceContents { Uri = resourceUri, MimeType = "text/plain", Text = "Embedded resource content for testing." } } },
            new PromptMessage { Role = Role.User, Content = new TextContentBlock { Text = "Please process the embedded resource above." } },
        }, new() { Name = "test_prompt_with_embedded_resource", Description = "Prompt with embedded resource" });
        yield return McpServerPrompt.Create(() => new[]
        {
            new PromptMessage { Role = Role.User, Content = new ImageContentBlock { MimeType = "image/png", Data = Encoding.UTF8.GetBytes(FixtureTools.Png) } },
            new PromptMessage { Role = Role.User, Content = new TextContentBlock { Text = "Please analyze the image above." } },
        }, new() { Name = "test_prompt_with_image", Description = "Prompt with image" });
    }
}
