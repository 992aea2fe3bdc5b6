using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portcullis.Approvals;
using Portcullis.Audit;
using Portcullis.Configuration;
using Portcullis.Identity;
using Portcullis.Limits;
using Portcullis.Registry;
using Portcullis.Secrets;
using Portcullis.Storage;
using Portcullis.Storage.Postgres;
using Portcullis.Storage.Sqlite;

namespace Portcullis.Gateway.Hosting;

/// <summary>
/// The stores a configuration names: every one in PostgreSQL when <c>storage.postgres</c> is set (several replicas
/// share it), else in the embedded SQLite file. Secrets live in Vault when <c>secrets.vault</c> is set, else
/// encrypted in the same database.
/// </summary>
public static class Stores
{
    /// <summary>Registers the stores of <paramref name="config"/>.</summary>
    public static IServiceCollection AddPortcullisStorage(this IServiceCollection services, GatewayConfig config)
    {
        if (config.Storage.Postgres is { } postgres)
        {
            services.AddSingleton(_ => new PostgresDatabase(postgres));
            services.AddSingleton<IConfigHistoryStore, PostgresConfigHistoryStore>();
            services.AddSingleton<IMemberTokenStore, PostgresMemberTokenStore>();
            services.AddSingleton<IKillSwitchStore, PostgresKillSwitchStore>();
            services.AddSingleton<IBudgetStore, PostgresBudgetStore>();
            services.AddSingleton<IRegistryStore, PostgresRegistryStore>();
            services.AddSingleton<ISubmittedServerStore, PostgresSubmittedServerStore>();
            services.AddSingleton<IAuditStore>(sp => new PostgresAuditStore(sp.GetRequiredService<PostgresDatabase>(), config.Audit.Fsync));
            services.AddSingleton<IApprovalStore, PostgresApprovalStore>();
            services.AddSingleton(sp => OpenSecrets(config, key => new PostgresSecretStore(sp.GetRequiredService<PostgresDatabase>(), key)));
            services.AddSingleton<PostgresChanges>();
            services.AddHostedService<ReplicaChanges>();
        }
        else
        {
            services.AddSingleton(_ => new SqliteDatabase(config.SqlitePath()));
            services.AddSingleton<IConfigHistoryStore, SqliteConfigHistoryStore>();
            services.AddSingleton<IMemberTokenStore, SqliteMemberTokenStore>();
            services.AddSingleton<IKillSwitchStore, SqliteKillSwitchStore>();
            services.AddSingleton<IBudgetStore, SqliteBudgetStore>();
            services.AddSingleton<IRegistryStore, SqliteRegistryStore>();
            services.AddSingleton<ISubmittedServerStore, SqliteSubmittedServerStore>();
            services.AddSingleton<IAuditStore>(sp => new SqliteAuditStore(sp.GetRequiredService<SqliteDatabase>(), config.Audit.Fsync));
            services.AddSingleton<IApprovalStore, SqliteApprovalStore>();
            services.AddSingleton(sp => OpenSecrets(config, key => new SqliteSecretStore(sp.GetRequiredService<SqliteDatabase>(), key)));
        }

        return services;
    }

    /// <summary>The member token store of <paramref name="config"/>, for the CLI's work without a running gateway.</summary>
    public static IMemberTokenStore OpenMemberTokens(GatewayConfig config) => config.Storage.Postgres is { } postgres
        ? new PostgresMemberTokenStore(new PostgresDatabase(postgres))
        : new SqliteMemberTokenStore(new SqliteDatabase(config.SqlitePath()));

    /// <summary>The secret store of <paramref name="config"/>, for the CLI's work without a running gateway.</summary>
    public static ISecretStore OpenSecrets(GatewayConfig config) => config.Storage.Postgres is { } postgres
        ? OpenSecrets(config, key => new PostgresSecretStore(new PostgresDatabase(postgres), key))
        : OpenSecrets(config, key => new SqliteSecretStore(new SqliteDatabase(config.SqlitePath()), key));

    private static ISecretStore OpenSecrets(GatewayConfig config, Func<byte[]?, ISecretStore> database) => config.Secrets.Vault is { } vault
        ? new VaultSecretStore(vault, new HttpClient { Timeout = vault.Timeout }, config.PathFromConfig)
        : database(SecretsKey.Load(config).Key);

    /// <summary>Applies what other replicas change in the shared database to this one's kill switches, registry and held calls.</summary>
    private sealed class ReplicaChanges(PostgresChanges changes, KillSwitches kills, ServerRegistry registry, ApprovalService approvals) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => changes.ListenAsync(async (what, ct) =>
        {
            if (what is PostgresChanges.Everything or PostgresKillSwitchStore.Change)
            {
                await kills.LoadAsync(ct).ConfigureAwait(false);
            }

            if (what is PostgresChanges.Everything or PostgresRegistryStore.Change)
            {
                await registry.LoadAsync(ct).ConfigureAwait(false);
            }

            if (what is PostgresChanges.Everything or PostgresApprovalStore.Change)
            {
                approvals.Wake();
            }
        }, stoppingToken);
    }
}
