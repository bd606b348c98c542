using Npgsql;

namespace CapiUpgrade.Tests.Shared;

/// <summary>
/// A new, empty PostgreSQL database for one test or benchmark run, on the server `tests/run-all.sh` starts
/// (CAPI_TEST_POSTGRES). Linked into each test project that needs it (there is no shared test library).
/// </summary>
public static class PostgresTestDatabase
{
    /// <summary>A new database on the server CAPI_TEST_POSTGRES names; fails the test, saying how to set it, when it is not set.</summary>
    public static Task<string> CreateFromEnvironmentAsync(string prefix)
    {
        var server = Environment.GetEnvironmentVariable("CAPI_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(server))
            throw new InvalidOperationException("CAPI_TEST_POSTGRES is not set: tests/run-all.sh starts PostgreSQL and sets it (e.g. Host=127.0.0.1;Port=55432;Username=postgres)");
        return CreateAsync(server, prefix);
    }

    /// <summary>Creates a database named <paramref name="prefix"/> and a random suffix on <paramref name="server"/>; returns its connection string.</summary>
    public static async Task<string> CreateAsync(string server, string prefix)
    {
        var database = prefix + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
    }
}
