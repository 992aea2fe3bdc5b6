using System.CommandLine;
using Portcullis.Cli.Commands;

var root = new RootCommand("Portcullis: a governance gateway for the Model Context Protocol.")
{
    ServeCommand.Create(),
    TokenCommand.Create(),
    PolicyCommand.Create(),
    KillCommand.Create(),
    BudgetsCommand.Create(),
    ServersCommand.Create(),
    ScanCommand.Create(),
    AuditCommand.Create(),
    ApprovalsCommand.Create(),
    SecretsCommand.Create(),
    CredentialsCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
