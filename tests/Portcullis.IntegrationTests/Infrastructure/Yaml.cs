namespace Portcullis.IntegrationTests.Infrastructure;

/// <summary>Server declarations for test configurations.</summary>
internal static class Yaml
{
    /// <summary>The tickets sample over stdio; <paramref name="marker"/> is an extra argument that lets a test find the process.</summary>
    public static string TicketsStdio(string id = "tickets", string? marker = null, string extra = "") => $"""
          - id: {id}
            preapproved: true
            command: dotnet
            args: ["{Repo.TicketsDll}"{(marker is null ? "" : $", \"{marker}\"")}]
            timeout: 20s
        {extra}
        """;

    public static string Http(string id, string url, string transport = "http", string extra = "") => $"""
          - id: {id}
            preapproved: true
            transport: {transport}
            url: {url}
        {extra}
        """;

    public static string EverythingStdio(string id = "everything", string extra = "") => $"""
          - id: {id}
            preapproved: true
            command: "{Repo.Node}"
            args: ["{Repo.EverythingServer}", "stdio"]
        {extra}
        """;

    public static string ProbeStdio(string id = "probe", string extra = "") => $"""
          - id: {id}
            preapproved: true
            command: "{Repo.Node}"
            args: ["{Repo.ProbeServer}"]
        {extra}
        """;

    public static string MemoryStdio(string id = "memory") => $"""
          - id: {id}
            preapproved: true
            command: "{Repo.Node}"
            args: ["{Repo.MemoryServer}"]
            env: {"{"} MEMORY_FILE_PATH: memory.jsonl {"}"}
        """;
}
