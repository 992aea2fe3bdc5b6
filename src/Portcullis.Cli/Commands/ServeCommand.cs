using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Portcullis.Configuration;
using Portcullis.Gateway;

namespace Portcullis.Cli.Commands;

/// <summary><c>portcullis serve --config FILE</c>: runs the gateway until Ctrl+C.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c")
        {
            Description = "The gateway's YAML configuration file (watched and hot-reloaded).",
            DefaultValueFactory = _ => new FileInfo("portcullis.yaml"),
        };
        var command = new Command("serve", "Run the gateway.") { config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            GatewayConfig loaded;
            try
            {
                loaded = ConfigLoader.LoadFile(parse.GetValue(config)!.FullName);
            }
            catch (ConfigException ex)
            {
                await Console.Error.WriteLineAsync(ex.Message);
                return 2;
            }

            Microsoft.AspNetCore.Builder.WebApplication? created = null;
            try
            {
                created = PortcullisGateway.Create(loaded);
                await created.StartAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is Storage.StoreUnavailableException || (ex is InvalidOperationException && ex.Message.StartsWith("Refusing to start", StringComparison.Ordinal)))
            {
                await Console.Error.WriteLineAsync(ex is Storage.StoreUnavailableException ? "Refusing to start: " + ex.Message : ex.Message);
                if (created is not null)
                {
                    await created.DisposeAsync();
                }

                return 2;
            }

            await using var app = created;

            var address = app.ListeningAddress();
            Console.WriteLine($"""

                Portcullis is running (configuration {loaded.Version[..12]}, {loaded.Servers.Count} servers).
                  Connect an agent to:  {address}/mcp
                  One server alone:     {address}/servers/<id>/mcp
                  Health:               {address}/readyz
                Press Ctrl+C to stop.

                """);
            if (app.TakeBootstrapAdminToken() is { } bootstrap)
            {
                // Printed once, to the terminal only (never to the log): the store had no admin token.
                Console.WriteLine($"""
                    First start on an empty store: an admin token was issued. It is shown only now.

                      {bootstrap}

                    Use it for the admin CLI (export PORTCULLIS_URL={address} PORTCULLIS_TOKEN=<token>)
                    and to issue member tokens for agents:  portcullis token issue --member alice --roles support --ttl 8h

                    """);
            }

            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
