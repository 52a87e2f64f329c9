using Microsoft.Extensions.Options;
using Npgsql;
using Receiver.Storage;

namespace Receiver;

internal static partial class ReceiverApplication
{
    /// <summary>
    /// Checks every setting, migrates, then serves. A bad setting or an unreachable database ends the process
    /// with one clear line per problem and exit code 1, not a stack trace.
    /// </summary>
    public static async Task<int> RunReceiverAsync(this WebApplication app)
    {
        try
        {
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            await app.Services.MigrateDatabaseAsync(app.Lifetime.ApplicationStopping);
        }
        catch (Exception e) when (ValidationFailures(e) is { Count: > 0 } failures)
        {
            foreach (var failure in failures) await Console.Error.WriteLineAsync($"Configuration error: {failure}");
            return 1;
        }
        catch (DatabaseNotUsableException e)
        {
            await Console.Error.WriteLineAsync($"Database error: {e.Message}");
            return 1;
        }
        catch (NpgsqlException e)
        {
            await Console.Error.WriteLineAsync($"Database error: cannot migrate the database ({e.Message}). Check ConnectionStrings:Receiver and that PostgreSQL is up.");
            return 1;
        }

        app.Lifetime.ApplicationStarted.Register(() => LogReady(app.Logger, string.Join(", ", app.Urls)));
        await app.RunAsync();
        return 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready on {Urls}")]
    private static partial void LogReady(ILogger logger, string urls);

    /// <summary>Every failure of every options class: with more than one bad section the validator throws them together.</summary>
    private static List<string> ValidationFailures(Exception e) => e switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        AggregateException aggregate => [.. aggregate.InnerExceptions.SelectMany(ValidationFailures)],
        _ => [],
    };
}
