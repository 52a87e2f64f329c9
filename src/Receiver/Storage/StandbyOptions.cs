using Microsoft.Extensions.Options;
using Npgsql;

namespace Receiver.Storage;

/// <summary>
/// <c>Database:Standby:*</c>, plus the <c>ConnectionStrings:ReceiverStandby</c> connection string: a standby the query
/// API and the feed read from (see <see cref="StandbyReads"/>). Unset, every read goes to the primary.
/// </summary>
public sealed class StandbyOptions
{
    public const string Section = "Database:Standby";

    public string? ConnectionString { get; set; }

    /// <summary>
    /// The oldest state a read served by the standby may show: it sees every commit made longer ago than this. When
    /// the standby is further behind (or cannot be reached), reads go to the primary until it has caught up.
    /// </summary>
    public TimeSpan MaxLag { get; set; } = TimeSpan.FromSeconds(5);
}

internal sealed class StandbyOptionsValidator : IValidateOptions<StandbyOptions>
{
    internal const string Setting = "ConnectionStrings:ReceiverStandby (env ConnectionStrings__ReceiverStandby)";

    public ValidateOptionsResult Validate(string? name, StandbyOptions options)
    {
        var failures = new List<string>();
        if (options.MaxLag < TimeSpan.FromSeconds(1) || options.MaxLag > TimeSpan.FromHours(1))
            failures.Add($"Database:Standby:MaxLag must be between 00:00:01 and 01:00:00; it is {options.MaxLag}.");
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            if (DatabaseOptionsValidator.Problem(Setting, options.ConnectionString, mustReachPrimary: false) is { } problem) failures.Add(problem);
            // Each standby shows the primary's commits up to a point of its own: reads spread over several would see
            // that point move back and forth, which the feed's order and a list's pages cannot survive (operations.md).
            else if (new NpgsqlConnectionStringBuilder(options.ConnectionString).LoadBalanceHosts)
                failures.Add(
                    $"{Setting} sets Load Balance Hosts: reads must go to one standby at a time (each has replayed up to a point " +
                    "of its own). Leave it out: Npgsql then uses the first standby it reaches, in the order of Host.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
